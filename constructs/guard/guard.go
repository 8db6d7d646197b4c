// Package guard is the deployment guard the Lambda and the ECS targets share: the alarms that
// watch a deployment (the runtime's defaults and the definition's own), the automatic rollback
// CodeDeploy performs when one fires, the deployment fails or is stopped, and the deployment
// configuration (a predefined one by name, or a custom canary or linear shift).
package guard

import (
	"maps"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/internal/cdkutil"
	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// Alarm is one alarm a target guards its deployments with.
type Alarm struct {
	// ID is the construct ID, Name the alarm's name (<service>-<stage>-<alarm>).
	ID, Name string
	// What the metric measures, for the alarm's description.
	What   string
	Metric awscloudwatch.IMetric
	// Threshold, Comparison (">=", ">", "<=", "<") and EvaluationPeriods decide when it fires.
	Threshold         float64
	Comparison        string
	EvaluationPeriods int
	// MissingData: how the alarm treats a minute without data. Default: not breaching (an idle
	// target must not block or roll back). A canary's alarm chooses otherwise: a canary that
	// does not report proves nothing.
	MissingData awscloudwatch.TreatMissingData
	// DeploymentOnly: the alarm guards deployments but stays out of the health alarm (an alarm
	// that is in ALARM whenever nobody calls the target, which must not close the gate).
	DeploymentOnly bool
}

// Props of a Guard.
type Props struct {
	// Defaults are the runtime's default alarms (a Lambda alias's errors, a load balancer's
	// 5xx, …), created first, in order.
	Defaults []Alarm
	// Custom are the definition's own alarms; Metric (if set) gives the metric of one whose
	// namespace the target measures itself (a Lambda service's AWS/Lambda alarms are on its
	// alias), otherwise the alarm is on its namespace, metric and dimensions.
	Custom []spec.CustomAlarm
	Metric func(c spec.CustomAlarm, opts *awscloudwatch.MetricOptions) awscloudwatch.IMetric
	// Extra are the alarms the stage's safety block adds (its canary's), after the custom ones.
	Extra []Alarm
	// AlarmName names a custom alarm (svc.AlarmName(stage, name)).
	AlarmName func(name string) string
	// HealthAlarmName names the health alarm: a composite alarm in ALARM while any alarm of
	// the guard (but the deployment-only ones) is, which the pipeline's alarm gate and bake watch and a
	// Lambda stack update names as its rollback trigger.
	HealthAlarmName string
	// Topic receives every alarm's notifications.
	Topic awssns.ITopic
}

// Guard is the alarms of one deployment target and what CodeDeploy does when they fire.
type Guard struct {
	constructs.Construct
	// Alarms are the defaults, then the definition's own, then the extra ones, in that order.
	Alarms []awscloudwatch.Alarm
	// Health is the health alarm (Props.HealthAlarmName).
	Health awscloudwatch.CompositeAlarm

	healthy []awscloudwatch.IAlarmRule
}

// New creates the alarms under scope (their construct IDs are the ones the Props give, so
// existing templates keep their logical IDs).
func New(scope constructs.Construct, props *Props) *Guard {
	g := &Guard{Construct: scope}
	for _, a := range props.Defaults {
		g.add(a, props.Topic)
	}
	for _, c := range props.Custom {
		opts := &awscloudwatch.MetricOptions{
			Period:    awscdk.Duration_Seconds(jsii.Number(float64(c.PeriodSeconds))),
			Statistic: jsii.String(c.Statistic),
		}
		var metric awscloudwatch.IMetric
		if props.Metric != nil {
			metric = props.Metric(c, opts)
		}
		if metric == nil {
			dims := map[string]*string{}
			for _, k := range slices.Sorted(maps.Keys(c.Dimensions)) {
				dims[k] = jsii.String(c.Dimensions[k])
			}
			metric = awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
				Namespace: jsii.String(c.Namespace), MetricName: jsii.String(c.MetricName),
				DimensionsMap: &dims, Period: opts.Period, Statistic: opts.Statistic,
			})
		}
		g.add(Alarm{ID: "Alarm" + c.Name, Name: props.AlarmName(c.Name), What: c.Namespace + " " + c.MetricName, Metric: metric,
			Threshold: *c.Threshold, Comparison: c.Comparison, EvaluationPeriods: c.EvaluationPeriods}, props.Topic)
	}
	for _, a := range props.Extra {
		g.add(a, props.Topic)
	}
	g.Health = awscloudwatch.NewCompositeAlarm(g.Construct, jsii.String("HealthAlarm"), &awscloudwatch.CompositeAlarmProps{
		CompositeAlarmName: jsii.String(props.HealthAlarmName),
		AlarmDescription: jsii.String(props.HealthAlarmName + ": in ALARM while any of the target's deployment alarms is; " +
			"the pipeline's alarm gate and bake watch it, and a Lambda stack update rolls back when it fires"),
		AlarmRule: awscloudwatch.AlarmRule_AnyOf(g.healthy...),
	})
	return g
}

func (g *Guard) add(a Alarm, topic awssns.ITopic) {
	alarm := cdkutil.DeploymentAlarm(g.Construct, a.ID, a.Name, a.What, a.Metric, a.Threshold, a.Comparison, a.EvaluationPeriods, a.MissingData, topic)
	g.Alarms = append(g.Alarms, alarm)
	if !a.DeploymentOnly {
		g.healthy = append(g.healthy, alarm)
	}
}

// AlarmRefs are the alarms as a deployment group takes them.
func (g *Guard) AlarmRefs() *[]interfacesawscloudwatch.IAlarmRef {
	refs := make([]interfacesawscloudwatch.IAlarmRef, len(g.Alarms))
	for i, a := range g.Alarms {
		refs[i] = a
	}
	return &refs
}

// AutoRollback is what every golden deployment group does: roll back when the deployment
// fails, is stopped, or one of its alarms fires.
func AutoRollback() *awscodedeploy.AutoRollbackConfig {
	return &awscodedeploy.AutoRollbackConfig{
		FailedDeployment: jsii.Bool(true), StoppedDeployment: jsii.Bool(true), DeploymentInAlarm: jsii.Bool(true),
	}
}

// routing is a custom deployment's traffic shift.
func routing(c *spec.CustomDeployment) awscodedeploy.TrafficRouting {
	interval, pct := awscdk.Duration_Minutes(jsii.Number(float64(c.IntervalMinutes))), jsii.Number(float64(c.Percentage))
	if c.Type == "linear" {
		return awscodedeploy.TrafficRouting_TimeBasedLinear(&awscodedeploy.TimeBasedLinearTrafficRoutingProps{Interval: interval, Percentage: pct})
	}
	return awscodedeploy.TrafficRouting_TimeBasedCanary(&awscodedeploy.TimeBasedCanaryTrafficRoutingProps{Interval: interval, Percentage: pct})
}

// LambdaConfig is a Lambda deployment's configuration: a predefined one by its CodeDeploy name
// (spec.PredefinedConfigs is the one table of them), or a custom shift created under scope.
func LambdaConfig(scope constructs.Construct, d spec.Deployment) awscodedeploy.ILambdaDeploymentConfig {
	if d.Custom == nil {
		return awscodedeploy.LambdaDeploymentConfig_FromLambdaDeploymentConfigName(scope, jsii.String("PredefinedConfig"),
			jsii.String(spec.LambdaConfigPrefix+d.Config))
	}
	return awscodedeploy.NewLambdaDeploymentConfig(scope, jsii.String("DeploymentConfig"), &awscodedeploy.LambdaDeploymentConfigProps{
		TrafficRouting: routing(d.Custom),
	})
}

// EcsConfig is an ECS deployment's configuration: a predefined one by its CodeDeploy name, or
// a custom shift named name (the deployment group's name, so the pipeline can name it too).
func EcsConfig(scope constructs.Construct, name string, d spec.Deployment) awscodedeploy.IEcsDeploymentConfig {
	if d.Custom == nil {
		return awscodedeploy.EcsDeploymentConfig_FromEcsDeploymentConfigName(scope, jsii.String("PredefinedConfig"),
			jsii.String(spec.EcsConfigPrefix+d.Config))
	}
	return awscodedeploy.NewEcsDeploymentConfig(scope, jsii.String("DeploymentConfig"), &awscodedeploy.EcsDeploymentConfigProps{
		DeploymentConfigName: jsii.String(name), TrafficRouting: routing(d.Custom),
	})
}
