package feedback

import (
	"fmt"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/internal/cdkutil"
)

// Home is a pipeline's account and region, where its notifications and delivery figures live.
type Home struct{ Account, Region string }

// busArn is the ARN of a home's default event bus.
func (h Home) busArn(partition *string) string {
	return fmt.Sprintf("arn:%s:events:%s:%s:event-bus/default", *partition, h.Region, h.Account)
}

// TargetFeedbackProps of a TargetFeedback.
type TargetFeedbackProps struct {
	// Homes are the pipelines' accounts and regions that deploy here, each (other than this
	// account and region) receiving the CodeDeploy events of this one. Required.
	Homes []Home
}

// TargetFeedback is what an account and region a pipeline deploys to from elsewhere sends home,
// in its shared stack: a rule forwards every CodeDeploy deployment event to each home's default
// event bus, where the service's rollback notification and the delivery figures pick them up as
// they do their own ("You can send and receive events between event buses in AWS accounts
// within the same Region … and between accounts in different Regions", EventBridge User Guide,
// *Sending and receiving events between AWS accounts*); the events keep their account and
// region. And the deployment alarms here notify a topic of this account and region: CloudWatch
// alarm actions publish to a topic in the alarm's own region.
type TargetFeedback struct {
	constructs.Construct
	// Forward sends the CodeDeploy events to every home's default bus: a rule for every
	// MaxRuleTargets homes.
	Forward []awsevents.Rule
	// AlarmTopic (golden-pipelines-alarms) receives the notifications of the deployment alarms
	// of every service deployed here.
	AlarmTopic awssns.Topic
}

// MaxRuleTargets is how many targets an EventBridge rule may have.
const MaxRuleTargets = 5

// AlarmTopicName is the topic of an account and region away from home that the deployment
// alarms there notify.
const AlarmTopicName = "golden-pipelines-alarms"

// NewTargetFeedback creates the forwarding rule and the alarm topic.
func NewTargetFeedback(scope constructs.Construct, id string, props *TargetFeedbackProps) *TargetFeedback {
	f := &TargetFeedback{Construct: constructs.NewConstruct(scope, jsii.String(id))}
	stack := awscdk.Stack_Of(scope)
	var targets []awsevents.IRuleTarget
	for i, h := range props.Homes {
		bus := awsevents.EventBus_FromEventBusArn(f.Construct, jsii.String(fmt.Sprintf("Home%d", i)), jsii.String(h.busArn(stack.Partition())))
		targets = append(targets, awseventstargets.NewEventBus(bus, nil))
	}
	// A rule has at most 5 targets ("Amazon EventBridge quotas": targets per rule, not
	// adjustable): a rule for every 5 homes.
	for i := 0; i < len(targets); i += MaxRuleTargets {
		chunk := targets[i:min(i+MaxRuleTargets, len(targets))]
		id, name := "ForwardDeployments", "golden-pipelines-forward-deployments"
		if i > 0 {
			id, name = fmt.Sprintf("%s%d", id, i/MaxRuleTargets+1), fmt.Sprintf("%s-%d", name, i/MaxRuleTargets+1)
		}
		f.Forward = append(f.Forward, awsevents.NewRule(f.Construct, jsii.String(id), &awsevents.RuleProps{
			RuleName:     jsii.String(name),
			Description:  jsii.String("CodeDeploy deployment state changes to the pipelines' home event buses (notifications, delivery figures)"),
			EventPattern: DeploymentEventsPattern(),
			Targets:      &chunk,
		}))
	}
	key := awskms.NewKey(f.Construct, jsii.String("AlarmKey"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts " + AlarmTopicName),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     cdkutil.RetainUnlessCreateFails,
	})
	cdkutil.OnlyAWSServicesCreateGrants(key)
	f.AlarmTopic = awssns.NewTopic(f.Construct, jsii.String("AlarmTopic"), &awssns.TopicProps{
		TopicName: jsii.String(AlarmTopicName), DisplayName: jsii.String("golden pipelines: deployment alarms"),
		MasterKey: key, EnforceSSL: jsii.Bool(true),
	})
	// CloudWatch publishes for this account's alarms (see newTopic for the key's part).
	cloudwatch := awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)
	f.AlarmTopic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("ThisAccountsAlarmsPublish"), Principals: &[]awsiam.IPrincipal{cloudwatch},
		Actions: jsii.Strings("sns:Publish"), Resources: &[]*string{f.AlarmTopic.TopicArn()},
		Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"aws:SourceAccount": stack.Account()}},
	}))
	key.Grant(cloudwatch, jsii.String("kms:Decrypt"), jsii.String("kms:GenerateDataKey*"))
	return f
}

// NewEventBusAccess lets other accounts put events on this account's default event bus: the
// accounts a home's pipelines deploy to forward their CodeDeploy events here (TargetFeedback).
// One policy statement per account ("Allow", the account's root, events:PutEvents on the bus:
// EventBridge User Guide, *Permissions for Amazon EventBridge event buses*). Written as the
// resource CloudFormation reads (AWS::Events::EventBusPolicy with a Statement): the L1's
// other form (Action, Principal) is deprecated, and reading it warns on every synth.
func NewEventBusAccess(scope constructs.Construct, id string, accounts []string) []awscdk.CfnResource {
	var out []awscdk.CfnResource
	for _, a := range slices.Sorted(slices.Values(accounts)) {
		sid := "GoldenPipelinesTargetAccount" + a
		out = append(out, awscdk.NewCfnResource(scope, jsii.String(id+a), &awscdk.CfnResourceProps{
			Type: jsii.String("AWS::Events::EventBusPolicy"),
			Properties: &map[string]interface{}{
				"StatementId": sid,
				"Statement": map[string]interface{}{
					"Sid": sid, "Effect": "Allow", "Action": "events:PutEvents",
					"Principal": map[string]interface{}{"AWS": awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:iam::"+a+":root"), nil)},
					"Resource":  awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default"), nil),
				},
			},
		}))
	}
	return out
}
