package spec

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"strings"
)

// The AWS limits a definition can exceed, checked by validation with the limit in the message.
// The limits only the synthesized templates can show (500 resources, 1 MB, the build spec's
// 25,600 characters as generated) are checked on the templates before anything is written
// (internal/synth).
const (
	// MaxAlarmsPerDeploymentGroup: "The maximum number of alarms for a deployment group (10)"
	// (CodeDeploy AlarmsLimitExceededException,
	// https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_AlarmConfiguration.html).
	MaxAlarmsPerDeploymentGroup = 10
	// MaxAlarmNameChars and MaxAlarmDescriptionChars: PutMetricAlarm's AlarmName (1-255) and
	// AlarmDescription (0-1024)
	// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
	MaxAlarmNameChars        = 255
	MaxAlarmDescriptionChars = 1024
	// MaxLambdaEnvironmentBytes: "the total size of all environment variables doesn't exceed
	// 4 KB" (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html), counted
	// here as the JSON of the variables, which is more than the names and values alone.
	MaxLambdaEnvironmentBytes = 4096
	// MaxContainerEnvironmentBytes: a task definition is at most 64 KiB
	// (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-quotas.html); the
	// container's variables may take half of it, the generated definition keeps the rest.
	MaxContainerEnvironmentBytes = 32768
	// MaxSubscriptions of the notification topic (emails and webhooks together): each one is a
	// resource of the pipeline stack, which CloudFormation limits to 500 resources
	// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html)
	// and which holds about 65 of its own.
	MaxSubscriptions = 100
	// MaxEcsDeploymentMinutes: CodePipeline times a CodeDeploy ECS (blue/green) deployment
	// action out after 5 days (https://docs.aws.amazon.com/codepipeline/latest/userguide/limits.html).
	MaxEcsDeploymentMinutes = 5 * 24 * 60
	// EcsDeployOverheadMinutes is what a blue/green deployment takes beside the traffic shift
	// and the wait for the blue tasks: starting the green tasks, the test traffic, the hooks.
	EcsDeployOverheadMinutes = 60
)

// MaxMetricValue: CloudWatch stores values from -2^360 to 2^360
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDatum.html): a
// threshold beyond can never be crossed.
var MaxMetricValue = math.Pow(2, 360)

const subscriptionsWhy = "every subscriber is a resource of the pipeline stack, which CloudFormation limits to 500 resources"

// limits checks the AWS limits the definition as a whole can exceed.
func (v *validator) limits(s Service) {
	for i := range s.Stages {
		v.alarmLimits(s, i)
	}
	if s.IsContainer() {
		v.environmentSize("container.environment", s.Container.Environment, nil, MaxContainerEnvironmentBytes,
			"ECS for a task definition (64 KiB), of which the variables may take half")
		if s.Container.TerminationWaitMinutes >= 1 {
			for i, st := range s.Stages {
				v.ecsDeploymentTime(v.stageField(i), st.Deployment, s.BlueTasksKeptMinutes(&s.Stages[i]))
			}
		}
	} else {
		v.environmentSize("lambda.environment", s.Lambda.Environment, s.Lambda.Secrets, MaxLambdaEnvironmentBytes, "Lambda for all variables (4 KB)")
	}
	n := s.Notifications
	if len(n.Emails)+len(n.Webhooks) > MaxSubscriptions {
		v.add("notifications", fmt.Sprintf("subscribes %d emails and webhooks, more than %d: %s", len(n.Emails)+len(n.Webhooks), MaxSubscriptions, subscriptionsWhy),
			fmt.Sprintf("keep at most %d; a mailing list or a chat channel reaches more people through one subscription", MaxSubscriptions))
	}
	v.projectCommands("build", s.Build.Install, s.Build.Test, s.Build.Package)
	for i, st := range s.Stages {
		v.projectCommands(v.integrationTestField(i), st.IntegrationTest.Install, st.IntegrationTest.Commands)
	}
}

// alarmLimits checks a stage's alarms: how many guard its deployment group, and the names and
// descriptions their custom alarms give CloudWatch.
func (v *validator) alarmLimits(s Service, i int) {
	st, stage := s.Stages[i], v.stageField(i)
	names := s.DeploymentAlarmNames(st.Name)
	if len(names) > MaxAlarmsPerDeploymentGroup {
		defaults := len(names) - len(st.Alarms.Custom)
		v.add(stage+".alarms.custom", fmt.Sprintf("gives the deployment group %d alarms (%d default, %d custom); CodeDeploy allows at most %d",
			len(names), defaults, len(st.Alarms.Custom), MaxAlarmsPerDeploymentGroup),
			fmt.Sprintf("keep at most %d custom alarms, or combine metrics in one alarm of your own", MaxAlarmsPerDeploymentGroup-defaults))
	}
	for j, c := range st.Alarms.Custom {
		field := fmt.Sprintf("%s.alarms.custom[%d]", stage, j)
		name := s.AlarmName(st.Name, c.Name)
		if n := Length(name); n > MaxAlarmNameChars {
			v.add(field+".name", fmt.Sprintf("makes the alarm name %q, %d characters; CloudWatch allows %d", name, n, MaxAlarmNameChars), "use a shorter name")
		}
		if c.Threshold == nil {
			continue
		}
		if n := Length(AlarmDescription(name, c.Namespace+" "+c.MetricName, c.Comparison, *c.Threshold)); n > MaxAlarmDescriptionChars {
			v.add(field, fmt.Sprintf("gives its alarm a description of %d characters (the name, namespace and metric name); CloudWatch allows %d", n, MaxAlarmDescriptionChars),
				"use a shorter namespace or metric name")
		}
	}
}

// environmentSize checks the variables of a function or container against their size limit,
// counted as the JSON the service receives: names, values, the quotes and separators. A
// function's secrets add a variable each (<NAME>_SECRET_ARN with the secret's ARN at its
// longest, or <NAME>_PARAMETER_NAME).
func (v *validator) environmentSize(field string, env map[string]string, secrets map[string]Secret, max int, by string) {
	all := maps.Clone(env)
	if all == nil {
		all = map[string]string{}
	}
	for k, s := range secrets {
		if s.SecretsManager != "" {
			all[k+"_SECRET_ARN"] = longestSecretARNPrefix + s.SecretsManager
		} else {
			all[k+"_PARAMETER_NAME"] = s.Parameter
		}
	}
	if n := EnvironmentSize(all); n > max {
		what := fmt.Sprintf("takes %d bytes, more than the %d allowed by %s", n, max, by)
		if len(secrets) > 0 {
			what = fmt.Sprintf("takes %d bytes with the variables its secrets add, more than the %d allowed by %s", n, max, by)
		}
		v.add(field, what, "keep large or many settings elsewhere (an SSM parameter or a file the service reads), or shorten names and values")
	}
}

// EnvironmentSize is the size of a set of variables as the service receives it: the JSON of the
// names and values, without HTML escapes.
func EnvironmentSize(vars map[string]string) int {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(vars) // a map of strings always encodes
	return len(strings.TrimSuffix(b.String(), "\n"))
}

// longestSecretARNPrefix is the longest a secret's ARN can be before its name: the partition,
// the region and the account are only known when deploying.
const longestSecretARNPrefix = "arn:aws-iso-b:secretsmanager:ap-southeast-99:123456789012:secret:"

// ecsDeploymentTime checks that a blue/green deployment ends before CodePipeline times the
// CodeDeployToECS action out: the traffic shift, the wait for the blue tasks, and the rest.
func (v *validator) ecsDeploymentTime(env string, d Deployment, terminationWait int) {
	if v.covered(env+".deployment") || (d.Custom != nil && (d.Custom.IntervalMinutes < 1 || d.Custom.Percentage < 1)) {
		return
	}
	total := d.ShiftMinutes() + terminationWait + EcsDeployOverheadMinutes
	if total > MaxEcsDeploymentMinutes {
		v.add(env+".deployment", fmt.Sprintf("takes about %d minutes (a %d-minute shift, %d minutes of blue tasks, %d for the rest), longer than the %d (5 days) CodePipeline lets a CodeDeploy ECS action run",
			total, d.ShiftMinutes(), terminationWait, EcsDeployOverheadMinutes, MaxEcsDeploymentMinutes),
			"use fewer steps or shorter intervals, or a shorter container.terminationWaitMinutes or safety.bakeMinutes (the blue tasks stay for the longer of the two)")
	}
}

// projectCommands checks that the commands of one CodeBuild project fit its build spec beside
// the generated steps.
func (v *validator) projectCommands(field string, lists ...[]string) {
	n := 0
	for _, l := range lists {
		for _, c := range l {
			n += len(c)
		}
	}
	if n > MaxProjectCommandBytes {
		v.add(field, fmt.Sprintf("has %d bytes of commands, more than %d: they share CodeBuild's %d-character build spec with the generated steps",
			n, MaxProjectCommandBytes, MaxBuildSpecChars), "move long scripts into a file of the repository and run it")
	}
}
