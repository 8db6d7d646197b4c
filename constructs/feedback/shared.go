// Package feedback makes a service's releases visible: a notification topic that hears about
// failures, approval requests, production successes and rollbacks; the delivery (DORA) figures
// computed from the pipeline's and CodeDeploy's own events; and dashboards that show them beside
// each environment's alarms and last deployment.
//
// The events land in one log group of the shared stack, through three account-wide EventBridge
// rules: CloudWatch Logs allows only 10 resource policies per account and region, and an event
// pattern cannot list hundreds of pipelines, so neither the policy nor the rules are per service.
// Everything is managed: rules, a log group, metric filters, alarms, Logs Insights queries and
// dashboards. No code runs.
package feedback

import (
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawsevents"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/internal/cdkutil"
	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// Names of what the shared stack creates once for every service.
const (
	// EventsLogGroupName holds every CodePipeline pipeline, stage and action execution event,
	// every CodeDeploy deployment event and every production-failed alarm state change.
	EventsLogGroupName = "/golden-pipelines/delivery-events"
	// EventsRetentionDays: thirteen months, so a month compares with the same month a year ago.
	EventsRetentionDays = 400
	// MetricNamespace holds ProductionFailedMetric.
	MetricNamespace = "GoldenPipelines"
	// ProductionFailedMetric is 1 when an action of a production stage fails and 0 when a release
	// completes (its last stage succeeds), with the dimension Service (the pipeline's name).
	ProductionFailedMetric = "ProductionFailed"
	// OverviewDashboardName is the dashboard across all services. (Service dashboards end in
	// -delivery, so no service's can take this name.)
	OverviewDashboardName = "golden-pipelines-overview"
)

// SharedProps of the shared part.
type SharedProps struct {
	// Services are every service of the app, defaults filled in and validated. Required.
	Services []spec.Service
}

// SharedFeedback is what every service's feedback relies on, created once in the shared stack.
type SharedFeedback struct {
	constructs.Construct
	// LogGroup receives the events (EventsLogGroupName).
	LogGroup awslogs.LogGroup
	// ResourcePolicy is the log group's only resource policy: EventBridge may write to it.
	ResourcePolicy awslogs.ResourcePolicy
	// PipelineEvents, DeploymentEvents and RestoreEvents are the rules that write the events.
	PipelineEvents, DeploymentEvents, RestoreEvents awsevents.Rule
	// ProductionFailed and ProductionSucceeded publish ProductionFailedMetric.
	ProductionFailed, ProductionSucceeded awslogs.MetricFilter
	// Dashboard shows every service's delivery figures and production state.
	Dashboard awscloudwatch.Dashboard
}

// Event patterns of the shared rules. They follow the events as CodePipeline, CodeDeploy and
// CloudWatch document them (source, detail-type and the detail fields named here). (Functions,
// not variables: building a pattern calls into the CDK, which must not start at package init.)

// PipelineEventsPattern: every pipeline, stage and action execution state change of the
// account. Releases are stage events; failed changes are action events (an action ran in a
// production stage and failed), so a wave its gate or window kept from starting (its stage
// fails, no action runs) is no failed change.
func PipelineEventsPattern() *awsevents.EventPattern {
	return &awsevents.EventPattern{
		Source:     jsii.Strings("aws.codepipeline"),
		DetailType: jsii.Strings(PipelineExecutionEvent, StageExecutionEvent, ActionExecutionEvent),
	}
}

// DeploymentEventsPattern: every CodeDeploy deployment state change of the account.
func DeploymentEventsPattern() *awsevents.EventPattern {
	return &awsevents.EventPattern{
		Source:     jsii.Strings("aws.codedeploy"),
		DetailType: jsii.Strings(DeploymentEvent),
	}
}

// RestoreEventsPattern: the state changes of the services' production-failed alarms.
func RestoreEventsPattern() *awsevents.EventPattern {
	return &awsevents.EventPattern{
		Source:     jsii.Strings("aws.cloudwatch"),
		DetailType: jsii.Strings(AlarmStateEvent),
		Detail: &map[string]interface{}{
			"alarmName": awsevents.Match_Prefix(jsii.String(spec.ProductionFailedAlarmPrefix)),
		},
	}
}

// NewSharedFeedback creates the events log group, its resource policy, the rules that fill it,
// the metric filters and the overview dashboard.
func NewSharedFeedback(scope constructs.Construct, id string, props *SharedProps) *SharedFeedback {
	s := &SharedFeedback{Construct: constructs.NewConstruct(scope, jsii.String(id))}
	stack := awscdk.Stack_Of(scope)
	s.LogGroup = cdkutil.LogGroup(s.Construct, "Events", jsii.String(EventsLogGroupName), EventsRetentionDays)
	// One resource policy for all rules (an account has at most 10): the CDK's log group target
	// would add a custom resource and a policy per rule.
	s.ResourcePolicy = awslogs.NewResourcePolicy(s.Construct, jsii.String("EventsPolicy"), &awslogs.ResourcePolicyProps{
		ResourcePolicyName: jsii.String("golden-pipelines-delivery-events"),
		PolicyStatements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("EventBridgeWritesDeliveryEvents"),
			Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
			Actions:    jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
			Resources:  &[]*string{s.LogGroup.LogGroupArn()},
		})},
	})
	target := &logGroupTarget{arn: stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("logs"), Resource: jsii.String("log-group"),
		ResourceName: jsii.String(EventsLogGroupName), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})}
	rule := func(id, name, description string, pattern *awsevents.EventPattern) awsevents.Rule {
		r := awsevents.NewRule(s.Construct, jsii.String(id), &awsevents.RuleProps{
			RuleName:     jsii.String(name),
			Description:  jsii.String(description),
			EventPattern: pattern,
			Targets:      &[]awsevents.IRuleTarget{target},
		})
		r.Node().AddDependency(s.ResourcePolicy)
		return r
	}
	s.PipelineEvents = rule("PipelineEvents", "golden-pipelines-shared-pipeline-events",
		"Pipeline, stage and action execution state changes into "+EventsLogGroupName+" (delivery figures)", PipelineEventsPattern())
	s.DeploymentEvents = rule("DeploymentEvents", "golden-pipelines-shared-deployment-events",
		"CodeDeploy deployment state changes into "+EventsLogGroupName+" (last deployment per environment)", DeploymentEventsPattern())
	s.RestoreEvents = rule("RestoreEvents", "golden-pipelines-shared-restore-events",
		"State changes of the production-failed alarms into "+EventsLogGroupName+" (time to restore)", RestoreEventsPattern())

	stages := spec.DeliveryStagesOf(props.Services)
	filter := func(id, state, value string) awslogs.MetricFilter {
		names := map[string][]string{"FAILED": stages.Production, "SUCCEEDED": stages.Released}[state]
		return awslogs.NewMetricFilter(s.Construct, jsii.String(id), &awslogs.MetricFilterProps{
			LogGroup:        s.LogGroup,
			FilterName:      jsii.String("golden-pipelines-production-" + map[string]string{"FAILED": "failed", "SUCCEEDED": "succeeded"}[state]),
			FilterPattern:   awslogs.FilterPattern_Literal(jsii.String(spec.OutcomePattern(names, state))),
			MetricNamespace: jsii.String(MetricNamespace),
			MetricName:      jsii.String(ProductionFailedMetric),
			MetricValue:     jsii.String(value),
			Dimensions:      &map[string]*string{"Service": jsii.String("$.detail.pipeline")},
		})
	}
	s.ProductionFailed = filter("ProductionFailedFilter", "FAILED", "1")
	s.ProductionSucceeded = filter("ProductionSucceededFilter", "SUCCEEDED", "0")
	s.Dashboard = newOverviewDashboard(s.Construct, props.Services)
	return s
}

// logGroupTarget sends a rule's events to the events log group. Unlike the CDK's
// CloudWatchLogGroup target it adds no resource policy of its own: the log group's one policy
// covers every rule.
type logGroupTarget struct{ arn *string }

// Bind implements awsevents.IRuleTarget.
func (t *logGroupTarget) Bind(_ interfacesawsevents.IRuleRef, _ *string) *awsevents.RuleTargetConfig {
	return &awsevents.RuleTargetConfig{Arn: t.arn}
}

func serviceNames(services []spec.Service) []string {
	out := make([]string, len(services))
	for i, s := range services {
		out[i] = s.Name
	}
	slices.Sort(out)
	return out
}
