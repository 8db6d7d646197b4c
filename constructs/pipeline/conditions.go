package pipeline

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// GateWaitMinutes is how long a wave's alarm gate waits for an alarm in ALARM to return to OK
// before it fails the execution: the CloudWatchAlarm rule's WaitTime ("the amount of time
// CodePipeline will wait if the alarm is in ALARM state when it is first evaluated. If the alarm
// is OK state when the rule is first checked, the rule will immediately succeed", CodePipeline
// User Guide, "Configure conditions for a stage").
const GateWaitMinutes = 30

// ruleRole is a rule that checks alarms in another account: CodePipeline evaluates it as the
// role it names (RuleDeclaration.roleArn, "The pipeline role ARN associated with the rule"; the
// project assumes it is assumed by the pipeline role, as an action's role is: not documented
// for rules). The CDK's Rule takes only a Role it creates, so the pipeline sets the ARN on the
// template.
type ruleRole struct {
	stage, condition string
	rule             int
	arn              string
}

// stageConditions sets a wave's CodePipeline stage conditions from its stage's safety block
// (CodePipeline User Guide, "Configure conditions for a stage"):
//   - before entry (result FAIL): the stage's windows (DeploymentWindow rules), then, with the
//     alarm gate, one CloudWatchAlarm rule per watched alarm and target, which waits
//     GateWaitMinutes for an alarm in ALARM to clear. A stage holds one entry condition
//     (BeforeEntryConditions: "Fixed number of 1 item"), so the two share it, and AWS notes the
//     alarm may be checked before the window opens and not again after (rule reference,
//     DeploymentWindow): docs/safety.md says so;
//   - on success (result ROLLBACK), for a stage that bakes: the same alarms once more after the
//     deployments (which kept watching them for the bake: the Lambda stack update's rollback
//     triggers, the ECS deployment's termination wait);
//   - on failure: ROLLBACK to the last execution that succeeded in the stage, or one automatic
//     RETRY of the failed actions ("You can only configure automatic retry on stage failure for
//     one retry attempt", "Configuring stage retry"), or nothing (stop).
func (p *MicroservicePipeline) stageConditions(props *awscodepipeline.StageProps, st *spec.Stage, targets []*Target) {
	name := *props.StageName
	alarms := st.WatchedAlarms(p.svc)
	var entry []awscodepipeline.Rule
	for i, w := range st.Safety.Windows {
		entry = append(entry, awscodepipeline.NewRule(&awscodepipeline.RuleProps{
			Name: jsii.String(fmt.Sprintf("%s-Window%d", name, i+1)), Provider: jsii.String("DeploymentWindow"), Version: jsii.String("1"),
			Configuration: &map[string]interface{}{"Cron": w.Cron, "TimeZone": w.TimeZone},
		}))
	}
	if st.Gated() {
		entry = append(entry, p.alarmRules(name, "BeforeEntry", "Gate", len(entry), targets, alarms, GateWaitMinutes)...)
	}
	if len(entry) > 0 {
		props.BeforeEntry = &awscodepipeline.Conditions{Conditions: &[]*awscodepipeline.Condition{{Result: awscodepipeline.Result_FAIL, Rules: &entry}}}
	}
	if st.Bake() > 0 {
		bake := p.alarmRules(name, "OnSuccess", "Bake", 0, targets, alarms, 0)
		props.OnSuccess = &awscodepipeline.Conditions{Conditions: &[]*awscodepipeline.Condition{{Result: awscodepipeline.Result_ROLLBACK, Rules: &bake}}}
	}
	switch st.Safety.OnFailure {
	case spec.OnFailureRollback:
		props.OnFailure = &awscodepipeline.FailureConditions{Result: awscodepipeline.Result_ROLLBACK}
	case spec.OnFailureRetry:
		props.OnFailure = &awscodepipeline.FailureConditions{Result: awscodepipeline.Result_RETRY, RetryMode: awscodepipeline.RetryMode_FAILED_ACTIONS}
	}
}

// alarmRules are the CloudWatchAlarm rules of one condition: one per target and watched alarm,
// each in the target's region, away from home evaluated as the target's deploy role (which
// the target's shared stack lets describe alarms). first is the index of the first of them in
// the condition's rules.
func (p *MicroservicePipeline) alarmRules(stage, condition, kind string, first int, targets []*Target, alarms []string, waitMinutes int) []awscodepipeline.Rule {
	var out []awscodepipeline.Rule
	for _, t := range targets {
		for _, alarm := range alarms {
			config := map[string]interface{}{"AlarmName": alarm}
			if waitMinutes > 0 {
				config["WaitTime"] = fmt.Sprint(waitMinutes)
			}
			out = append(out, awscodepipeline.NewRule(&awscodepipeline.RuleProps{
				Name:     jsii.String(fmt.Sprintf("%s-%s%d", stage, kind, len(out)+1)),
				Provider: jsii.String("CloudWatchAlarm"), Version: jsii.String("1"),
				Region:        optional(t.Region),
				Configuration: &config,
			}))
			if t.Home {
				p.watchesAlarmsAtHome = true
			} else {
				p.ruleRoles = append(p.ruleRoles, ruleRole{stage: stage, condition: condition, rule: first + len(out) - 1, arn: p.deployRoleArn(t)})
			}
		}
	}
	return out
}

// allowConditions lets the pipeline evaluate its stage conditions: describe alarms at home,
// assume the deploy roles of the targets it watches elsewhere, and names those roles on the
// rules. Describing a composite alarm needs cloudwatch:DescribeAlarms on "*" ("To retrieve
// information about composite alarms, your cloudwatch:DescribeAlarms permission must have a *
// scope", CloudWatch User Guide, "CloudWatch permissions reference"); it reads no data.
func (p *MicroservicePipeline) allowConditions(stages []*awscodepipeline.StageProps) {
	if p.watchesAlarmsAtHome {
		p.Pipeline.Role().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("CheckTheAlarmsOfTheStageConditions"), Actions: jsii.Strings("cloudwatch:DescribeAlarms"), Resources: jsii.Strings("*"),
		}))
	}
	if len(p.ruleRoles) == 0 {
		return
	}
	index := map[string]int{}
	for i, s := range stages {
		index[*s.StageName] = i
	}
	cfn := p.Pipeline.Node().DefaultChild().(awscodepipeline.CfnPipeline)
	var arns []*string
	seen := map[string]bool{}
	for _, r := range p.ruleRoles {
		cfn.AddPropertyOverride(jsii.String(fmt.Sprintf("Stages.%d.%s.Conditions.0.Rules.%d.RoleArn", index[r.stage], r.condition, r.rule)), r.arn)
		if !seen[r.arn] {
			seen[r.arn] = true
			arns = append(arns, jsii.String(r.arn))
		}
	}
	p.Pipeline.Role().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("CheckTheAlarmsOfRemoteTargets"), Actions: jsii.Strings("sts:AssumeRole"), Resources: &arns,
	}))
}
