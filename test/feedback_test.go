package test

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/golden-pipelines/microservice-pipelines/constructs/feedback"
	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// specOf returns an app's service definition by name (defaults filled in).
func specOf(t *testing.T, app *synthesized, name string) spec.Service {
	t.Helper()
	for _, s := range app.services {
		if s.Spec.Name == name {
			return s.Spec
		}
	}
	t.Fatalf("no service %q", name)
	panic("unreachable")
}

// byName returns the only resource of a type in a stack whose property key equals value.
func byName(t *testing.T, app *synthesized, stack, typ, key, value string) (string, map[string]interface{}) {
	t.Helper()
	var id string
	var found map[string]interface{}
	for rid, r := range app.resources(t, stack, typ) {
		if props(r)[key] == value {
			if found != nil {
				t.Fatalf("%s: two %s with %s %q", stack, typ, key, value)
			}
			id, found = rid, r
		}
	}
	if found == nil {
		t.Fatalf("%s: no %s with %s %q", stack, typ, key, value)
	}
	return id, found
}

func asJSON(t *testing.T, v interface{}) interface{} {
	t.Helper()
	var out interface{}
	if err := json.Unmarshal([]byte(jsonString(t, v)), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func sameJSON(t *testing.T, what string, got interface{}, want string) {
	t.Helper()
	var w interface{}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(w, asJSON(t, got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

// The topic is encrypted with the pipeline's rotating key, publishes over SSL only, and only
// EventBridge, CodeStar Notifications and the service's alarms (CloudWatch, for exactly those
// alarm ARNs) may publish; the key lets exactly those three services use it.
func TestNotificationTopicIsEncryptedAndSSLOnly(t *testing.T) {
	for _, svc := range fixtures() {
		stack := svc.PipelineStackName()
		topicID, topic := byName(t, fixture, stack, "AWS::SNS::Topic", "TopicName", svc.Name+"-notifications")
		keyRef := props(topic)["KmsMasterKeyId"].(map[string]interface{})["Fn::GetAtt"].([]interface{})
		keyID, key := fixture.pipelineKey(t, svc.Name)
		if keyRef[0] != keyID || keyRef[1] != "Arn" {
			t.Errorf("%s: topic encrypted with %v, want the pipeline key %s", stack, keyRef, keyID)
		}
		if props(key)["EnableKeyRotation"] != true {
			t.Errorf("%s: the topic's key does not rotate", stack)
		}
		var keyGrant bool
		for _, st := range props(key)["KeyPolicy"].(map[string]interface{})["Statement"].([]interface{}) {
			st := st.(map[string]interface{})
			if jsonString(t, st["Principal"]) == `{"Service":["cloudwatch.amazonaws.com","codestar-notifications.amazonaws.com","events.amazonaws.com"]}` {
				keyGrant = jsonString(t, st["Action"]) == `["kms:Decrypt","kms:GenerateDataKey*"]`
			}
		}
		if !keyGrant {
			t.Errorf("%s: the key policy does not let CloudWatch, EventBridge and CodeStar Notifications encrypt for the topic", stack)
		}
		// CloudWatch publishes for exactly the service's alarms, by ARN.
		var alarms []string
		for _, name := range feedback.AlarmsNotifying(&svc) {
			alarms = append(alarms, fmt.Sprintf(`{"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":cloudwatch:", {"Ref": "AWS::Region"}, ":", {"Ref": "AWS::AccountId"}, ":alarm:%s"]]}`, name))
		}
		_, policy := fixture.only(t, stack, "AWS::SNS::TopicPolicy")
		sameJSON(t, stack+" topic policy", props(policy)["PolicyDocument"], fmt.Sprintf(`{"Version": "2012-10-17", "Statement": [
			{"Sid": "AllowPublishThroughSSLOnly", "Effect": "Deny", "Principal": "*", "Action": "sns:Publish", "Resource": {"Ref": %[1]q},
			 "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
			{"Sid": "TheServicesAlarmsPublish", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
			 "Action": "sns:Publish", "Resource": {"Ref": %[1]q}, "Condition": {"ArnEquals": {"aws:SourceArn": [%[2]s]}}},
			{"Sid": "2", "Effect": "Allow", "Principal": {"Service": ["codestar-notifications.amazonaws.com", "events.amazonaws.com"]},
			 "Action": "sns:Publish", "Resource": {"Ref": %[1]q}}]}`, topicID, strings.Join(alarms, ", ")))
	}
}

// Subscribers come from the definition: emails and https webhooks on the topic, Slack channels
// as targets of the notification rule.
func TestSubscribersComeFromTheDefinition(t *testing.T) {
	for _, app := range []*synthesized{fixture, variants} {
		for _, s := range app.services {
			svc, stack := s.Spec, s.Spec.PipelineStackName()
			topicID, _ := byName(t, app, stack, "AWS::SNS::Topic", "TopicName", svc.NotificationTopicName())
			var got, want []string
			for _, sub := range app.resources(t, stack, "AWS::SNS::Subscription") {
				p := props(sub)
				if jsonString(t, p["TopicArn"]) != fmt.Sprintf(`{"Ref":%q}`, topicID) {
					t.Errorf("%s: a subscription to another topic: %v", stack, p["TopicArn"])
				}
				got = append(got, fmt.Sprint(p["Protocol"], " ", p["Endpoint"]))
			}
			for _, e := range svc.Notifications.Emails {
				want = append(want, "email "+e)
			}
			for _, w := range svc.Notifications.Webhooks {
				want = append(want, "https "+w)
			}
			sort.Strings(got)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s: subscriptions %v, want %v", stack, got, want)
			}
			_, rule := app.only(t, stack, "AWS::CodeStarNotifications::NotificationRule")
			wantTargets := []interface{}{map[string]interface{}{"TargetType": "SNS", "TargetAddress": map[string]interface{}{"Ref": topicID}}}
			for _, arn := range svc.Notifications.SlackChannels {
				wantTargets = append(wantTargets, map[string]interface{}{"TargetType": "AWSChatbotSlack", "TargetAddress": arn})
			}
			if diff := cmp.Diff(wantTargets, asJSON(t, props(rule)["Targets"])); diff != "" {
				t.Errorf("%s: notification rule targets (-want +got):\n%s", stack, diff)
			}
		}
	}
	// The example app subscribes someone, and the variants exercise every kind.
	if len(specOf(t, fixture, "orders").Notifications.Emails) == 0 {
		t.Error("no example service has subscribers")
	}
	c := specOf(t, variants, "custom").Notifications
	if len(c.Emails) == 0 || len(c.Webhooks) == 0 || len(c.SlackChannels) < 2 {
		t.Errorf("the variants do not exercise every kind of subscriber: %+v", c)
	}
}

// The notification rule watches the service's pipeline for failures, approval requests and
// successful executions (whose last stage is Production), with CodeStar's event type IDs, once
// the topic policy lets it publish.
func TestNotificationRule(t *testing.T) {
	for _, svc := range fixtures() {
		stack := svc.PipelineStackName()
		id, rule := fixture.only(t, stack, "AWS::CodeStarNotifications::NotificationRule")
		pipelineID, pipe := fixture.only(t, stack, "AWS::CodePipeline::Pipeline")
		p := props(rule)
		sameJSON(t, stack+" notification events", p["EventTypeIds"], `["codepipeline-pipeline-pipeline-execution-failed",
			"codepipeline-pipeline-manual-approval-needed", "codepipeline-pipeline-pipeline-execution-succeeded"]`)
		if p["DetailType"] != "FULL" || p["Name"] != svc.Name+"-pipeline" {
			t.Errorf("%s: notification rule %v %v", stack, p["Name"], p["DetailType"])
		}
		if !strings.Contains(jsonString(t, p["Resource"]), fmt.Sprintf(`{"Ref":%q}`, pipelineID)) {
			t.Errorf("%s: the rule watches %v, not the pipeline", stack, p["Resource"])
		}
		stages := props(pipe)["Stages"].([]interface{})
		if last := stages[len(stages)-1].(map[string]interface{})["Name"]; last != spec.DeliveryStagesOf([]spec.Service{svc}).Released[0] {
			t.Errorf("%s: the last stage is %v, so a successful execution is not a production success", stack, last)
		}
		policyID, _ := fixture.only(t, stack, "AWS::SNS::TopicPolicy")
		deps, _ := fixture.templates[stack]["Resources"].(map[string]interface{})[id].(map[string]interface{})["DependsOn"].([]interface{})
		if !slices.Contains(deps, interface{}(policyID)) {
			t.Errorf("%s: the notification rule does not wait for the topic policy (DependsOn %v)", stack, deps)
		}
	}
}

// Rollbacks: CodeDeploy deployments of the service's two applications that fail or stop (and so
// roll back) go to the topic, with the documented fields in the message.
func TestRollbackRule(t *testing.T) {
	for _, svc := range fixtures() {
		stack := svc.PipelineStackName()
		_, rule := byName(t, fixture, stack, "AWS::Events::Rule", "Name", svc.Name+"-deployment-rollbacks")
		p := props(rule)
		sameJSON(t, stack+" rollback pattern", p["EventPattern"], fmt.Sprintf(`{"source": ["aws.codedeploy"],
			"detail-type": ["CodeDeploy Deployment State-change Notification"],
			"detail": {"application": ["%[1]s-staging", "%[1]s-production"], "state": ["FAILURE", "STOP"]}}`, svc.Name))
		// The applications the rule names are the ones the service stacks create.
		for _, env := range svc.StageNames() {
			byName(t, fixture, svc.StackName(env), "AWS::CodeDeploy::Application", "ApplicationName", svc.DeploymentGroupName(env))
		}
		topicID, _ := byName(t, fixture, stack, "AWS::SNS::Topic", "TopicName", svc.NotificationTopicName())
		target := p["Targets"].([]interface{})[0].(map[string]interface{})
		if jsonString(t, target["Arn"]) != fmt.Sprintf(`{"Ref":%q}`, topicID) || len(p["Targets"].([]interface{})) != 1 {
			t.Errorf("%s: rollbacks go to %v", stack, p["Targets"])
		}
		transformer := target["InputTransformer"].(map[string]interface{})
		sameJSON(t, stack+" message fields", transformer["InputPathsMap"], `{"detail-deploymentGroup": "$.detail.deploymentGroup",
			"detail-deploymentId": "$.detail.deploymentId", "detail-state": "$.detail.state", "region": "$.region", "time": "$.time"}`)
		var pattern map[string]interface{}
		json.Unmarshal([]byte(jsonString(t, p["EventPattern"])), &pattern)
		if svc.Name == "orders" {
			if !matches(pattern, sample(t, "deployment failed")) || matches(pattern, sample(t, "deployment succeeded")) {
				t.Errorf("%s: the rollback rule does not tell a failed deployment from a successful one", stack)
			}
		} else if matches(pattern, sample(t, "deployment failed")) {
			t.Errorf("%s: the rollback rule catches orders' deployments", stack)
		}
		// The link opens the console of the partition the stack is deployed to.
		for partition, host := range map[string]string{"aws": "console.aws.amazon.com", "aws-cn": "console.amazonaws.cn",
			"aws-us-gov": "console.amazonaws-us-gov.com"} {
			msg, _ := eval(t, fixture.templates[stack], map[string]string{"AWS::Partition": partition}, transformer["InputTemplate"]).(string)
			if want := "https://" + host + "/codesuite/codedeploy/deployments/<detail-deploymentId>?region=<region>"; !strings.Contains(msg, want) {
				t.Errorf("%s in %s: the rollback message %q does not link %s", stack, partition, msg, want)
			}
		}
		// Every path of the message is in the documented event.
		for _, path := range transformer["InputPathsMap"].(map[string]interface{}) {
			if _, ok := lookup(sample(t, "deployment failed"), strings.TrimPrefix(path.(string), "$.")); !ok {
				t.Errorf("%s: the message reads %s, which a CodeDeploy event does not have", stack, path)
			}
		}
	}
}

// The events reach one log group through three account-wide rules in the shared stack, however
// many services there are, and the log group has the one resource policy they all use: no
// stack adds another (CloudWatch Logs allows 10 per account and region).
func TestDeliveryEventsScale(t *testing.T) {
	for _, app := range []*synthesized{fixture, variants} {
		var policies, rules []string
		for stack := range app.templates {
			for id := range app.resources(t, stack, "AWS::Logs::ResourcePolicy") {
				policies = append(policies, stack+"/"+id)
			}
			if len(app.resources(t, stack, "Custom::CloudwatchLogResourcePolicy")) > 0 {
				t.Errorf("%s: a custom resource writes a log group policy", stack)
			}
			for id, r := range app.resources(t, stack, "AWS::Events::Rule") {
				if strings.Contains(jsonString(t, props(r)["Targets"]), ":log-group:") {
					rules = append(rules, stack+"/"+id)
				}
			}
		}
		if len(policies) != 1 || len(rules) != 3 {
			t.Errorf("%d services: log resource policies %v, rules into logs %v; want 1 and 3", len(app.services), policies, rules)
		}
		// Per service, the pipeline stack adds two rules of its own (CodeDeploy rollbacks; stage
		// rollbacks and retries) beside the source triggers (the CodeCommit push, and the base
		// image's push when there is one): 3 + 3 per service (+1 with a base image) rules on the
		// account's default bus, whose default quota of 300 rules holds about 99 services
		// (docs/development.md, Limits).
		for _, s := range app.services {
			want := 3
			if s.Spec.UsesConnection() {
				want = 2 // a connection starts the pipeline through its trigger, not a rule
			}
			if s.Spec.IsContainer() && s.Spec.Container.BaseImage != nil {
				want++
			}
			if all := len(app.resources(t, s.Spec.PipelineStackName(), "AWS::Events::Rule")); all != want {
				t.Errorf("%s: %d EventBridge rules, want %d (source triggers, rollbacks, release safety)", s.Spec.PipelineStackName(), all, want)
			}
		}
		for _, s := range app.services {
			var own int
			for _, r := range app.resources(t, s.Spec.PipelineStackName(), "AWS::Events::Rule") {
				if _, ok := props(r)["Name"]; ok {
					own++
				}
			}
			if own != 2 {
				t.Errorf("%s: %d named rules, want 2", s.Spec.PipelineStackName(), own)
			}
		}
	}
	stack := "golden-pipelines-shared"
	logID, logGroup := fixture.only(t, stack, "AWS::Logs::LogGroup")
	if props(logGroup)["LogGroupName"] != feedback.EventsLogGroupName || props(logGroup)["RetentionInDays"] != float64(feedback.EventsRetentionDays) {
		t.Errorf("events log group %v", props(logGroup))
	}
	policyID, policy := fixture.only(t, stack, "AWS::Logs::ResourcePolicy")
	doc := props(policy)["PolicyDocument"].(map[string]interface{})["Fn::Join"].([]interface{})[1].([]interface{})
	if len(doc) != 3 || jsonString(t, doc[1]) != fmt.Sprintf(`{"Fn::GetAtt":[%q,"Arn"]}`, logID) {
		t.Fatalf("the policy does not cover the events log group alone: %v", doc)
	}
	var rendered interface{}
	if err := json.Unmarshal([]byte(doc[0].(string)+"LOG-GROUP-ARN"+doc[2].(string)), &rendered); err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "events log group policy", rendered, `{"Version": "2012-10-17", "Statement": [{"Sid": "EventBridgeWritesDeliveryEvents",
		"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
		"Resource": "LOG-GROUP-ARN"}]}`)
	for id, r := range fixture.resources(t, stack, "AWS::Events::Rule") {
		target := props(r)["Targets"].([]interface{})[0].(map[string]interface{})
		if !strings.HasSuffix(jsonString(t, target["Arn"]), `":log-group:/golden-pipelines/delivery-events"]]}`) {
			t.Errorf("%s targets %v", id, target["Arn"])
		}
		deps, _ := fixture.templates[stack]["Resources"].(map[string]interface{})[id].(map[string]interface{})["DependsOn"].([]interface{})
		if !slices.Contains(deps, interface{}(policyID)) {
			t.Errorf("%s may write before the log group allows it (DependsOn %v)", id, deps)
		}
	}
}

// The shared rules' exact patterns, and what they catch of the documented events.
func TestDeliveryEventPatterns(t *testing.T) {
	patterns := map[string]map[string]interface{}{}
	for _, r := range fixture.resources(t, "golden-pipelines-shared", "AWS::Events::Rule") {
		var p map[string]interface{}
		json.Unmarshal([]byte(jsonString(t, props(r)["EventPattern"])), &p)
		patterns[props(r)["Name"].(string)] = p
	}
	want := map[string]string{
		"golden-pipelines-shared-pipeline-events": `{"source": ["aws.codepipeline"],
			"detail-type": ["CodePipeline Pipeline Execution State Change", "CodePipeline Stage Execution State Change", "CodePipeline Action Execution State Change"]}`,
		"golden-pipelines-shared-deployment-events": `{"source": ["aws.codedeploy"], "detail-type": ["CodeDeploy Deployment State-change Notification"]}`,
		"golden-pipelines-shared-restore-events": `{"source": ["aws.cloudwatch"], "detail-type": ["CloudWatch Alarm State Change"],
			"detail": {"alarmName": [{"prefix": "golden-pipelines.production-failed."}]}}`,
	}
	if len(patterns) != len(want) {
		t.Fatalf("shared rules %v", keys(patterns))
	}
	for name, w := range want {
		sameJSON(t, name, patterns[name], w)
	}
	catches := map[string][]string{
		"golden-pipelines-shared-pipeline-events":   {"pipeline started", "pipeline failed", "production succeeded", "production failed", "staging failed", "production deploy action failed"},
		"golden-pipelines-shared-deployment-events": {"deployment failed", "deployment succeeded"},
		"golden-pipelines-shared-restore-events":    {"production restored"},
	}
	for name, p := range patterns {
		for event := range sampleEvents {
			if got, want := matches(p, sample(t, event)), slices.Contains(catches[name], event); got != want {
				t.Errorf("%s matches the %s event: %v, want %v", name, event, got, want)
			}
		}
	}
}

// ProductionFailed is 1 for a failed Production stage and 0 for a successful one, by service;
// each service's production-failed alarm reads exactly that metric and keeps its state between
// outcomes, and its state changes reach the log group.
func TestProductionFailedMetricAndAlarm(t *testing.T) {
	filters := fixture.resources(t, "golden-pipelines-shared", "AWS::Logs::MetricFilter")
	if len(filters) != 2 {
		t.Fatalf("metric filters %v", keys(filters))
	}
	values := map[string]string{}
	for _, f := range filters {
		p := props(f)
		sameJSON(t, "metric transformation", p["MetricTransformations"].([]interface{})[0].(map[string]interface{})["Dimensions"],
			`[{"Key": "Service", "Value": "$.detail.pipeline"}]`)
		tr := p["MetricTransformations"].([]interface{})[0].(map[string]interface{})
		if tr["MetricNamespace"] != feedback.MetricNamespace || tr["MetricName"] != feedback.ProductionFailedMetric {
			t.Errorf("metric %v/%v", tr["MetricNamespace"], tr["MetricName"])
		}
		pattern := p["FilterPattern"].(string)
		for event := range sampleEvents {
			if filterMatches(t, pattern, sample(t, event)) {
				values[event] += tr["MetricValue"].(string)
			}
		}
		// The dimension's value is in every event the filter matches.
		if _, ok := lookup(sample(t, "production failed"), "detail.pipeline"); !ok {
			t.Error("a stage event has no detail.pipeline")
		}
	}
	// Only the Production stage's outcomes count: a release is its stage's success, a failed
	// change an action of it that failed; not staging, not the pipeline, and not the stage's
	// own failure, which a wave its gate or window kept from starting has too without running
	// an action.
	if !cmp.Equal(values, map[string]string{"production succeeded": "0", "production deploy action failed": "1"}) {
		t.Errorf("metric values per event %v", values)
	}
	for _, svc := range fixtures() {
		stack := svc.PipelineStackName()
		_, alarm := byName(t, fixture, stack, "AWS::CloudWatch::Alarm", "AlarmName", svc.ProductionFailedAlarmName())
		topicID, _ := byName(t, fixture, stack, "AWS::SNS::Topic", "TopicName", svc.NotificationTopicName())
		sameJSON(t, stack+" production-failed alarm", props(alarm), fmt.Sprintf(`{"AlarmName": "golden-pipelines.production-failed.%[1]s",
			"AlarmActions": [{"Ref": %[2]q}],
			"AlarmDescription": "%[1]s: in ALARM while the last production deployment failed, OK again after the next successful one; its state changes measure the time to restore",
			"Namespace": "GoldenPipelines", "MetricName": "ProductionFailed", "Dimensions": [{"Name": "Service", "Value": %[1]q}],
			"Statistic": "Maximum", "Period": 60, "EvaluationPeriods": 1, "Threshold": 1,
			"ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "ignore"}`, svc.Name, topicID))
		event := sample(t, "production restored")
		event["detail"].(map[string]interface{})["alarmName"] = svc.ProductionFailedAlarmName()
		if !matches(feedbackPattern(t, "golden-pipelines-shared-restore-events"), event) {
			t.Errorf("%s: the alarm's state changes do not reach the log group", stack)
		}
	}
}

func feedbackPattern(t *testing.T, name string) map[string]interface{} {
	t.Helper()
	_, r := byName(t, fixture, "golden-pipelines-shared", "AWS::Events::Rule", "Name", name)
	var p map[string]interface{}
	json.Unmarshal([]byte(jsonString(t, props(r)["EventPattern"])), &p)
	return p
}

// Every field a query reads exists in the documented events of the types it filters on, and
// the time to restore parses the alarm event's timestamps with the format it names.
func TestQueriesReadDocumentedFields(t *testing.T) {
	services, st := []string{"orders"}, spec.DeliveryStagesOf(only(fixtures(), "orders"))
	queries := map[string]string{
		"deployment frequency": feedback.DeploymentFrequencyQuery(services, st), "deployments per day": feedback.DeploymentsPerDayQuery(services, st),
		"lead time": feedback.LeadTimeQuery(services, st), "change failure rate": feedback.ChangeFailureRateQuery(services, st),
		"time to restore": feedback.TimeToRestoreQuery(services, st), "production outcomes": feedback.ProductionOutcomesQuery(services, st),
		"blocked at the gate": feedback.BlockedAtTheGateQuery(services, st),
		"last deployment":     feedback.LastDeploymentQuery([]string{"orders-production"}),
	}
	for name, q := range queries {
		var events []map[string]interface{}
		for _, e := range sampleEvents {
			var ev map[string]interface{}
			json.Unmarshal([]byte(e), &ev)
			if strings.Contains(q, fmt.Sprintf("%q", ev["detail-type"])) {
				events = append(events, ev)
			}
		}
		if len(events) == 0 {
			t.Errorf("%s: filters on no documented event type", name)
		}
		fields := queryFields(q)
		if len(fields) < 3 {
			t.Errorf("%s reads only %v", name, fields)
		}
		for _, f := range fields {
			found := false
			for _, ev := range events {
				if _, ok := lookup(ev, f); ok {
					found = true
				}
			}
			if !found {
				t.Errorf("%s reads %s, which none of its events has", name, f)
			}
		}
	}
	// The time to restore of the sample: ALARM at 10:21:02.985, OK at 10:41:12.551.
	layout := javaToGoLayout(t, feedback.AlarmTimestampFormat)
	d := sample(t, "production restored")["detail"].(map[string]interface{})
	ok := parseAlarmTime(t, layout, d["state"].(map[string]interface{})["timestamp"].(string))
	alarm := parseAlarmTime(t, layout, d["previousState"].(map[string]interface{})["timestamp"].(string))
	if got := ok.Sub(alarm).Minutes(); got < 20.1 || got > 20.2 {
		t.Errorf("restore took %v minutes, want 20.16", got)
	}
	if !strings.Contains(queries["time to restore"], fmt.Sprintf("parseDate(detail.previousState.timestamp, %q)", feedback.AlarmTimestampFormat)) {
		t.Errorf("the time to restore does not parse the previous state's timestamp:\n%s", queries["time to restore"])
	}
}

// dashboardBody resolves a dashboard's Fn::Join body into JSON: pseudo parameters become
// ${Partition}, ${Region} and ${AccountId}, a GetAtt becomes ${GetAtt:<id>.<attribute>}.
func dashboardBody(t *testing.T, dashboard map[string]interface{}) map[string]interface{} {
	t.Helper()
	join := props(dashboard)["DashboardBody"].(map[string]interface{})["Fn::Join"].([]interface{})
	var b strings.Builder
	for _, part := range join[1].([]interface{}) {
		switch p := part.(type) {
		case string:
			b.WriteString(p)
		case map[string]interface{}:
			if ref, ok := p["Ref"].(string); ok && strings.HasPrefix(ref, "AWS::") {
				b.WriteString("${" + strings.TrimPrefix(ref, "AWS::") + "}")
			} else if att, ok := p["Fn::GetAtt"].([]interface{}); ok {
				b.WriteString(fmt.Sprintf("${GetAtt:%s.%s}", att[0], att[1]))
			} else {
				t.Fatalf("unexpected token in a dashboard body: %v", p)
			}
		}
	}
	var body map[string]interface{}
	if err := json.Unmarshal([]byte(b.String()), &body); err != nil {
		t.Fatalf("dashboard body is not JSON: %v\n%s", err, b.String())
	}
	return body
}

type widget struct {
	Type       string `json:"type"`
	Width      int    `json:"width"`
	Properties struct {
		Title  string   `json:"title"`
		Query  string   `json:"query"`
		View   string   `json:"view"`
		Alarms []string `json:"alarms"`
	} `json:"properties"`
}

func widgets(t *testing.T, body map[string]interface{}) []widget {
	t.Helper()
	var out []widget
	if err := json.Unmarshal([]byte(jsonString(t, body["widgets"])), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

var alarmArn = regexp.MustCompile(`^arn:\$\{Partition\}:cloudwatch:\$\{Region\}:\$\{AccountId\}:alarm:(.+)$`)

// alarmNames lists the alarms of the app's stacks by name.
func alarmNames(t *testing.T, app *synthesized, stack string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for id, r := range app.resources(t, stack, "AWS::CloudWatch::Alarm") {
		out[props(r)["AlarmName"].(string)] = id
	}
	return out
}

// Each service's dashboard: the four figures and the production deployments from the events
// log group with exactly the documented queries, each environment's deployment alarms (the
// ones its service stack creates, by name), the production-failed alarm and the last deployment
// of each deployment group.
func TestServiceDashboard(t *testing.T) {
	for _, app := range []*synthesized{fixture, variants} {
		for _, s := range app.services {
			svc, stack := s.Spec, s.Spec.PipelineStackName()
			_, dashboard := byName(t, app, stack, "AWS::CloudWatch::Dashboard", "DashboardName", svc.DashboardName())
			body := dashboardBody(t, dashboard)
			if body["start"] != "-P30D" {
				t.Errorf("%s: the dashboard opens on %v", stack, body["start"])
			}
			names, st := []string{svc.Name}, spec.DeliveryStagesOf([]spec.Service{svc})
			var groups []string
			for _, env := range svc.StageNames() {
				groups = append(groups, svc.DeploymentGroupName(env))
				byName(t, app, svc.StackName(env), "AWS::CodeDeploy::DeploymentGroup", "DeploymentGroupName", svc.DeploymentGroupName(env))
			}
			wantQueries := map[string]string{
				"Deployment frequency":                   feedback.DeploymentFrequencyQuery(names, st),
				"Lead time for changes (minutes)":        feedback.LeadTimeQuery(names, st),
				"Change failure rate":                    feedback.ChangeFailureRateQuery(names, st),
				"Time to restore (minutes)":              feedback.TimeToRestoreQuery(names, st),
				"Production deployments per day":         feedback.DeploymentsPerDayQuery(names, st),
				"Latest production deployments":          feedback.ProductionOutcomesQuery(names, st),
				"Production waves blocked at the gate":   feedback.BlockedAtTheGateQuery(names, st),
				"Last deployment per stage (CodeDeploy)": feedback.LastDeploymentQuery(groups),
			}
			gotQueries := map[string]string{}
			var alarmWidgets [][]string
			for _, w := range widgets(t, body) {
				switch w.Type {
				case "log":
					gotQueries[w.Properties.Title] = strings.TrimPrefix(w.Properties.Query, "SOURCE '"+feedback.EventsLogGroupName+"' | ")
				case "alarm":
					alarmWidgets = append(alarmWidgets, w.Properties.Alarms)
				}
			}
			if diff := cmp.Diff(wantQueries, gotQueries); diff != "" {
				t.Errorf("%s: dashboard queries (-want +got):\n%s", stack, diff)
			}
			if len(alarmWidgets) != 3 {
				t.Fatalf("%s: %d alarm widgets, want staging, production and production-failed", stack, len(alarmWidgets))
			}
			for i, env := range svc.StageNames() {
				existing := alarmNames(t, app, svc.StackName(env))
				var got []string
				for _, arn := range alarmWidgets[i] {
					m := alarmArn.FindStringSubmatch(arn)
					if m == nil {
						t.Errorf("%s: %s is not an alarm ARN of this account and region", stack, arn)
						continue
					}
					if _, ok := existing[m[1]]; !ok {
						t.Errorf("%s: the dashboard shows %s, which %s does not have", stack, m[1], svc.StackName(env))
					}
					got = append(got, m[1])
				}
				if len(got) != len(existing) || !slices.Equal(got, svc.DeploymentAlarmNames(env)) {
					t.Errorf("%s: %s alarms %v, the service stack has %v", stack, env, got, keys(existing))
				}
			}
			alarmID := alarmNames(t, app, stack)[svc.ProductionFailedAlarmName()]
			if !slices.Equal(alarmWidgets[2], []string{"${GetAtt:" + alarmID + ".Arn}"}) {
				t.Errorf("%s: production-failed widget shows %v", stack, alarmWidgets[2])
			}
		}
	}
}

// The overview: every service's figures, per-day deployments, last production deployment and
// production-failed alarm, with the same queries as the service dashboards.
func TestOverviewDashboard(t *testing.T) {
	for _, app := range []*synthesized{fixture, variants} {
		_, dashboard := byName(t, app, "golden-pipelines-shared", "AWS::CloudWatch::Dashboard", "DashboardName", feedback.OverviewDashboardName)
		var names, production, alarms []string
		var all []spec.Service
		for _, s := range app.services {
			names = append(names, s.Spec.Name)
			all = append(all, s.Spec)
			for _, stage := range s.Spec.Stages {
				if stage.IsProduction() {
					production = append(production, s.Spec.DeploymentGroupName(stage.Name))
				}
			}
		}
		st := spec.DeliveryStagesOf(all)
		sort.Strings(names)
		sort.Strings(production)
		for _, n := range names {
			alarms = append(alarms, "arn:${Partition}:cloudwatch:${Region}:${AccountId}:alarm:golden-pipelines.production-failed."+n)
		}
		want := map[string]string{
			"Deployment frequency":                    feedback.DeploymentFrequencyQuery(names, st),
			"Lead time for changes (minutes)":         feedback.LeadTimeQuery(names, st),
			"Change failure rate":                     feedback.ChangeFailureRateQuery(names, st),
			"Time to restore (minutes)":               feedback.TimeToRestoreQuery(names, st),
			"Production deployments per day":          feedback.DeploymentsPerDayQuery(names, st),
			"Last production deployment (CodeDeploy)": feedback.LastDeploymentQuery(production),
		}
		got := map[string]string{}
		var gotAlarms []string
		for _, w := range widgets(t, dashboardBody(t, dashboard)) {
			switch w.Type {
			case "log":
				got[w.Properties.Title] = strings.TrimPrefix(w.Properties.Query, "SOURCE '"+feedback.EventsLogGroupName+"' | ")
			case "alarm":
				gotAlarms = append(gotAlarms, w.Properties.Alarms...)
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%d services: overview queries (-want +got):\n%s", len(names), diff)
		}
		if !slices.Equal(gotAlarms, alarms) {
			t.Errorf("overview alarms %v, want %v", gotAlarms, alarms)
		}
	}
}

// docs/feedback.md documents each figure with the exact query the dashboards run (for the
// orders service). After an intended change, UPDATE_SNAPSHOTS=1 rewrites the block.
func TestReadmeShowsTheQueries(t *testing.T) {
	names, st := []string{"orders"}, spec.DeliveryStagesOf(only(fixtures(), "orders"))
	var b strings.Builder
	for _, q := range []struct{ title, query string }{
		{"Deployment frequency", feedback.DeploymentFrequencyQuery(names, st)},
		{"Production deployments per day", feedback.DeploymentsPerDayQuery(names, st)},
		{"Lead time for changes", feedback.LeadTimeQuery(names, st)},
		{"Change failure rate", feedback.ChangeFailureRateQuery(names, st)},
		{"Time to restore", feedback.TimeToRestoreQuery(names, st)},
		{"Latest production deployments", feedback.ProductionOutcomesQuery(names, st)},
		{"Last deployment per stage", feedback.LastDeploymentQuery([]string{"orders-staging", "orders-production"})},
	} {
		fmt.Fprintf(&b, "%s:\n\n```\n%s\n```\n\n", q.title, q.query)
	}
	docBlock(t, "docs/feedback.md", "delivery-queries", strings.TrimSuffix(b.String(), "\n"))
}

// docBlock compares the text of a documentation file (file: relative to the repository's root,
// e.g. "docs/feedback.md") between <!-- name:begin --> and <!-- name:end --> with want, or
// rewrites it when UPDATE_SNAPSHOTS is set.
func docBlock(t *testing.T, file, name, want string) {
	t.Helper()
	path := "../" + file
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	begin, end := "<!-- "+name+":begin -->\n", "<!-- "+name+":end -->"
	i, j := strings.Index(string(b), begin), strings.Index(string(b), end)
	if i < 0 || j < i {
		t.Fatalf("%s has no %q ... %q block", file, begin, end)
	}
	got := string(b[i+len(begin) : j])
	if os.Getenv("UPDATE_SNAPSHOTS") != "" {
		if got != want {
			out := string(b[:i+len(begin)]) + want + string(b[j:])
			if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	if got != want {
		t.Errorf("%s's %s block differs from what the code gives (-doc +code); if intended, run UPDATE_SNAPSHOTS=1 go test ./test/ -run %s\n%s",
			file, name, t.Name(), cmp.Diff(strings.Split(got, "\n"), strings.Split(want, "\n")))
	}
}
