package feedback

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awschatbot"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodestarnotifications"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/internal/cdkutil"
	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// ServiceProps of a service's feedback.
type ServiceProps struct {
	// Service is the definition, defaults filled in and validated. Required.
	Service spec.Service
	// Pipeline is the service's pipeline, the source of the notification rule. Required.
	Pipeline awscodepipeline.IPipeline
	// Key encrypts the notification topic; its key policy lets EventBridge and CodeStar
	// Notifications use it (through SNS). Required: the pipeline's key.
	Key awskms.IKey
}

// ServiceFeedback is one service's notifications and dashboard, in its pipeline stack.
type ServiceFeedback struct {
	constructs.Construct
	// Topic (<name>-notifications) receives every notification; the definition's emails and
	// webhooks are subscribed to it.
	Topic awssns.Topic
	// NotificationRule sends pipeline failures, manual approval requests and successful
	// executions (the last stage is Production) to the topic and the Slack channels.
	NotificationRule awscodestarnotifications.NotificationRule
	// RollbackRule sends the CodeDeploy deployments of the service's environments that failed or
	// were stopped (and so rolled back) to the topic.
	RollbackRule awsevents.Rule
	// SafetyRule sends what the stages' safety did to the topic: an execution CodePipeline
	// started to roll a stage back (after a failure or a bake whose alarms fired), and a stage
	// it retried.
	SafetyRule awsevents.Rule
	// ProductionFailedAlarm is in ALARM while the last production deployment failed.
	ProductionFailedAlarm awscloudwatch.Alarm
	// Dashboard (<name>-delivery) shows the delivery figures and each environment's health.
	Dashboard awscloudwatch.Dashboard
}

// PipelineNotificationEvents are the CodeStar Notifications event types of the notification
// rule: a failed pipeline execution, a manual approval waiting, a successful execution (its last
// stage is Production, so a production success).
var PipelineNotificationEvents = []string{
	"codepipeline-pipeline-pipeline-execution-failed",
	"codepipeline-pipeline-manual-approval-needed",
	"codepipeline-pipeline-pipeline-execution-succeeded",
}

// RollbackStates are the CodeDeploy deployment states that end in a rollback: every deployment
// group rolls back automatically on failure, on a stop and on an alarm.
var RollbackStates = []string{"FAILURE", "STOP"}

// NewServiceFeedback creates a service's notification topic, its subscriptions, the
// notification and rollback rules, the production-failed alarm and the service's dashboard. It
// applies the service's defaults and validates it: a bad definition or a missing pipeline or
// key fails the synthesis with every problem on this construct's path (and nothing is built).
func NewServiceFeedback(scope constructs.Construct, id string, props *ServiceProps) *ServiceFeedback {
	f := &ServiceFeedback{Construct: constructs.NewConstruct(scope, jsii.String(id))}
	if props == nil {
		cdkutil.Invalid(f.Construct, "props: missing; fix: pass &feedback.ServiceProps{Service, Pipeline, Key}")
		return f
	}
	svc, _, ok := cdkutil.ServiceFor(f.Construct, props.Service, cdkutil.AnyService, "")
	ok = cdkutil.Required(f.Construct, svc, props.Pipeline != nil && props.Key != nil, "Props.Pipeline and Props.Key",
		"pass the service's pipeline and its key (pipeline.MicroservicePipeline.Pipeline, .Key)") && ok
	if !ok {
		return f
	}
	f.Topic = newTopic(f.Construct, &svc, props.Key)
	f.subscribe(&svc)
	f.notificationRule(&svc, props.Pipeline)
	f.rollbackRule(&svc)
	f.safetyRule(&svc)
	f.productionFailedAlarm(&svc)
	f.Dashboard = newServiceDashboard(f.Construct, &svc, f.ProductionFailedAlarm)
	return f
}

// subscribe subscribes the definition's emails and webhooks to the topic.
func (f *ServiceFeedback) subscribe(svc *spec.Service) {
	for _, e := range svc.Notifications.Emails {
		f.Topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(e), nil))
	}
	for _, w := range svc.Notifications.Webhooks {
		f.Topic.AddSubscription(awssnssubscriptions.NewUrlSubscription(jsii.String(w), &awssnssubscriptions.UrlSubscriptionProps{
			Protocol: awssns.SubscriptionProtocol_HTTPS,
		}))
	}
}

// notificationRule sends the pipeline's failures, approvals and successes to the topic and the
// Slack channels.
func (f *ServiceFeedback) notificationRule(svc *spec.Service, pipeline awscodepipeline.IPipeline) {
	targets := []awscodestarnotifications.INotificationRuleTarget{f.Topic}
	for i, arn := range svc.Notifications.SlackChannels {
		targets = append(targets, awschatbot.SlackChannelConfiguration_FromSlackChannelConfigurationArn(f.Construct,
			jsii.String(fmt.Sprintf("SlackChannel%d", i+1)), jsii.String(arn)))
	}
	f.NotificationRule = awscodestarnotifications.NewNotificationRule(f.Construct, jsii.String("PipelineNotifications"),
		&awscodestarnotifications.NotificationRuleProps{
			NotificationRuleName: jsii.String(svc.Name + "-pipeline"),
			Source:               pipeline,
			Events:               jsii.Strings(PipelineNotificationEvents...),
			Targets:              &targets,
			DetailType:           awscodestarnotifications.DetailType_FULL,
		})
	// CodeStar Notifications may publish once the topic policy says so.
	if policy := f.Topic.Node().TryFindChild(jsii.String("Policy")); policy != nil {
		f.NotificationRule.Node().AddDependency(policy)
	}
}

// rollbackRule sends the service's CodeDeploy deployments that rolled back to the topic.
func (f *ServiceFeedback) rollbackRule(svc *spec.Service) {
	var applications []*string
	for _, st := range svc.Stages {
		applications = append(applications, jsii.String(svc.DeploymentGroupName(st.Name)))
	}
	f.RollbackRule = awsevents.NewRule(f.Construct, jsii.String("Rollbacks"), &awsevents.RuleProps{
		RuleName:    jsii.String(svc.Name + "-deployment-rollbacks"),
		Description: jsii.String(fmt.Sprintf("CodeDeploy deployments of %s that failed or stopped, and so rolled back, to %s", svc.Name, svc.NotificationTopicName())),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings("aws.codedeploy"),
			DetailType: jsii.Strings(DeploymentEvent),
			Detail: &map[string]interface{}{
				"application": &applications,
				"state":       jsii.Strings(RollbackStates...),
			},
		},
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewSnsTopic(f.Topic, &awseventstargets.SnsTopicProps{
			Message: awsevents.RuleTargetInput_FromText(jsii.String(fmt.Sprintf(
				"%s: CodeDeploy deployment %s of %s ended in %s at %s; the deployment group rolls back to the previous version. https://%s/codesuite/codedeploy/deployments/%s?region=%s",
				svc.Name, *awsevents.EventField_FromPath(jsii.String("$.detail.deploymentId")),
				*awsevents.EventField_FromPath(jsii.String("$.detail.deploymentGroup")),
				*awsevents.EventField_FromPath(jsii.String("$.detail.state")), *awsevents.EventField_Time(),
				*cdkutil.ConsoleHost(f.Construct),
				*awsevents.EventField_FromPath(jsii.String("$.detail.deploymentId")), *awsevents.EventField_Region()))),
		})},
	})
}

// StageRollbackTriggers are the trigger types of an execution that rolls a stage back
// (CodePipeline API Reference, ExecutionTrigger.triggerType); a pipeline execution event names
// its trigger in detail.execution-trigger.trigger-type.
var StageRollbackTriggers = []string{"AutomatedRollback", "ManualRollback"}

// safetyRule sends the service's stage rollbacks (an execution started by a rollback) and
// retries (a stage RESUMED: "A failed pipeline execution has been retried", Monitoring
// CodePipeline events) to the topic.
func (f *ServiceFeedback) safetyRule(svc *spec.Service) {
	f.SafetyRule = awsevents.NewRule(f.Construct, jsii.String("ReleaseSafety"), &awsevents.RuleProps{
		RuleName:    jsii.String(svc.Name + "-release-safety"),
		Description: jsii.String(fmt.Sprintf("Stage rollbacks and retries of %s's pipeline, to %s", svc.Name, svc.NotificationTopicName())),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings("aws.codepipeline"),
			DetailType: jsii.Strings(PipelineExecutionEvent, StageExecutionEvent),
			Detail: &map[string]interface{}{
				"pipeline": jsii.Strings(svc.Name),
				"$or": []interface{}{
					map[string]interface{}{"state": jsii.Strings("STARTED"), "execution-trigger": map[string]interface{}{"trigger-type": jsii.Strings(StageRollbackTriggers...)}},
					map[string]interface{}{"state": jsii.Strings("RESUMED")},
				},
			},
		},
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewSnsTopic(f.Topic, &awseventstargets.SnsTopicProps{
			Message: awsevents.RuleTargetInput_FromText(jsii.String(fmt.Sprintf(
				"%s: %s %s at %s (execution %s): a stage rollback started (an execution rolls a stage back to the last release that succeeded there), or a failed stage is retried. https://%s/codesuite/codepipeline/pipelines/%s/executions/%s/timeline?region=%s",
				svc.Name, *awsevents.EventField_FromPath(jsii.String("$.detail-type")), *awsevents.EventField_FromPath(jsii.String("$.detail.state")),
				*awsevents.EventField_Time(), *awsevents.EventField_FromPath(jsii.String("$.detail.execution-id")),
				*cdkutil.ConsoleHost(f.Construct), svc.Name, *awsevents.EventField_FromPath(jsii.String("$.detail.execution-id")), *awsevents.EventField_Region()))),
		})},
	})
}

// productionFailedAlarm creates the alarm that is in ALARM while the last production
// deployment failed; its state changes measure the time to restore.
func (f *ServiceFeedback) productionFailedAlarm(svc *spec.Service) {
	f.ProductionFailedAlarm = awscloudwatch.NewAlarm(f.Construct, jsii.String("ProductionFailed"), &awscloudwatch.AlarmProps{
		AlarmName: jsii.String(svc.ProductionFailedAlarmName()),
		AlarmDescription: jsii.String(fmt.Sprintf("%s: in ALARM while the last production deployment failed, OK again after the next successful one; "+
			"its state changes measure the time to restore", svc.Name)),
		Metric: awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace:     jsii.String(MetricNamespace),
			MetricName:    jsii.String(ProductionFailedMetric),
			DimensionsMap: &map[string]*string{"Service": jsii.String(svc.Name)},
			Period:        awscdk.Duration_Minutes(jsii.Number(1)),
			// Should a failure and a success fall in the same minute, the failure counts: a
			// failure right after a success is possible (a deployment that fails early), a
			// success within a minute of a failure hardly is (a production deployment takes
			// minutes).
			Statistic: jsii.String("Maximum"),
		}),
		Threshold:          jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		EvaluationPeriods:  jsii.Number(1),
		// Outcomes are rare: between them the alarm keeps the state the last one set.
		TreatMissingData: awscloudwatch.TreatMissingData_IGNORE,
	})
	f.ProductionFailedAlarm.AddAlarmAction(awscloudwatchactions.NewSnsAction(f.Topic))
}

// newTopic creates the service's notification topic: encrypted with the pipeline's key, over
// SSL only. Beside EventBridge and CodeStar Notifications (which the rules' targets allow), the
// service's alarms publish to it: each deployment alarm of both environments (in the service
// stacks, which name the topic) and the production-failed alarm. CloudWatch publishes as
// cloudwatch.amazonaws.com, so the topic policy lets that principal publish for exactly these
// alarms (aws:SourceArn), and the key policy lets it kms:Decrypt and kms:GenerateDataKey*,
// which SNS needs from a publisher to an encrypted topic: "Why didn't I receive an SNS
// notification for my CloudWatch alarm trigger?"
// (https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger) and "How do I
// configure a CloudWatch alarm with an encrypted SNS topic?"
// (https://repost.aws/knowledge-center/cloudwatch-configure-alarm-sns).
func newTopic(scope constructs.Construct, svc *spec.Service, key awskms.IKey) awssns.Topic {
	topic := awssns.NewTopic(scope, jsii.String("Topic"), &awssns.TopicProps{
		TopicName:   jsii.String(svc.NotificationTopicName()),
		DisplayName: jsii.String(svc.Name + " releases"),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	stack := awscdk.Stack_Of(scope)
	var alarms []*string
	for _, name := range AlarmsNotifying(svc) {
		alarms = append(alarms, stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("cloudwatch"), Resource: jsii.String("alarm"), ResourceName: jsii.String(name),
			ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
		}))
	}
	cloudwatch := awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("TheServicesAlarmsPublish"),
		Principals: &[]awsiam.IPrincipal{cloudwatch},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{topic.TopicArn()},
		Conditions: &map[string]interface{}{"ArnEquals": map[string]interface{}{"aws:SourceArn": alarms}},
	}))
	key.Grant(cloudwatch, jsii.String("kms:Decrypt"), jsii.String("kms:GenerateDataKey*"))
	return topic
}

// AlarmsNotifying are the names of the alarms that publish to a service's notification topic:
// every deployment alarm of each stage, then the production-failed alarm.
func AlarmsNotifying(svc *spec.Service) []string {
	var out []string
	for _, st := range svc.Stages {
		out = append(out, svc.DeploymentAlarmNames(st.Name)...)
	}
	return append(out, svc.ProductionFailedAlarmName())
}
