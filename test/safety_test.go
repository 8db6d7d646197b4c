package test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// stagesByName are the stages of a pipeline stack's pipeline, by name.
func stagesByName(t *testing.T, app *synthesized, stack string) map[string]map[string]interface{} {
	t.Helper()
	out := map[string]map[string]interface{}{}
	for _, r := range app.resources(t, stack, "AWS::CodePipeline::Pipeline") {
		for _, s := range props(r)["Stages"].([]interface{}) {
			st := s.(map[string]interface{})
			out[st["Name"].(string)] = st
		}
	}
	return out
}

// rules are the rules of a stage's condition ("BeforeEntry", "OnSuccess"), as provider:alarm
// or window@region/role.
func rules(st map[string]interface{}, condition string) []map[string]interface{} {
	c, _ := st[condition].(map[string]interface{})
	if c == nil {
		return nil
	}
	conds := c["Conditions"].([]interface{})
	var out []map[string]interface{}
	for _, r := range conds[0].(map[string]interface{})["Rules"].([]interface{}) {
		out = append(out, r.(map[string]interface{}))
	}
	return out
}

// The production waves of the staged Lambda service: before entry its deployment window
// first (CodePipeline checks a CloudWatchAlarm rule once, and not again after the window opens:
// "After the deployment window opens, CodePipeline does not check the CloudWatchAlarm alarm
// again", rule reference, DeploymentWindow), then the gate (FAIL) on each target's health alarm
// and the platform's alarm, in the target's region, as the target's deploy role; after success
// the same alarms with ROLLBACK; on failure ROLLBACK. Staging retries its failed actions once;
// dev (onFailure: stop) and the approval stages carry no condition: an automatic retry of a
// rejected approval would ask again.
func TestStageConditionsGateBakeAndRollBack(t *testing.T) {
	stages := stagesByName(t, staged, "shipping-pipeline")
	for _, name := range []string{"Dev", "ApproveProduction", "Source", "Build"} {
		if stages[name] == nil {
			t.Fatalf("no stage %s in %v", name, stages)
		}
		for _, c := range []string{"BeforeEntry", "OnSuccess", "OnFailure"} {
			if stages[name][c] != nil {
				t.Errorf("%s has a %s condition: %v", name, c, stages[name][c])
			}
		}
	}
	if got, _ := json.Marshal(stages["Staging"]["OnFailure"]); string(got) != `{"Result":"RETRY","RetryConfiguration":{"RetryMode":"FAILED_ACTIONS"}}` {
		t.Errorf("staging on failure %s, want one retry of the failed actions", got)
	}
	waves := map[string][]string{"Production-eu": {"eu-west-1"}, "Production-us": {"us-east-1", "us-west-2"}}
	for name, regions := range waves {
		st := stages[name]
		if got, _ := json.Marshal(st["OnFailure"]); string(got) != `{"Result":"ROLLBACK"}` {
			t.Errorf("%s on failure %s, want ROLLBACK", name, got)
		}
		entry, bake := rules(st, "BeforeEntry"), rules(st, "OnSuccess")
		if res := st["BeforeEntry"].(map[string]interface{})["Conditions"].([]interface{})[0].(map[string]interface{})["Result"]; res != "FAIL" {
			t.Errorf("%s entry result %v", name, res)
		}
		if res := st["OnSuccess"].(map[string]interface{})["Conditions"].([]interface{})[0].(map[string]interface{})["Result"]; res != "ROLLBACK" {
			t.Errorf("%s on-success result %v", name, res)
		}
		if len(entry) != 1+2*len(regions) || len(bake) != 2*len(regions) || len(entry) > 5 {
			t.Fatalf("%s: %d entry and %d bake rules, want a window and 2 alarms a target (at most 5 a condition)", name, len(entry), len(bake))
		}
		window := entry[0]
		if window["RuleTypeId"].(map[string]interface{})["Provider"] != "DeploymentWindow" ||
			window["Configuration"].(map[string]interface{})["Cron"] != "* * 9-16 ? JAN-NOV MON-THU *" ||
			window["Configuration"].(map[string]interface{})["TimeZone"] != "Europe/Berlin" {
			t.Errorf("%s: first entry rule %v, want the deployment window", name, window)
		}
		for i, r := range append(entry[1:], bake...) {
			region := regions[(i%(2*len(regions)))/2]
			alarm := []string{"shipping-production-health", "platform-incident"}[i%2]
			cfg := r["Configuration"].(map[string]interface{})
			if r["RuleTypeId"].(map[string]interface{})["Provider"] != "CloudWatchAlarm" || cfg["AlarmName"] != alarm || r["Region"] != region ||
				r["RoleArn"] != "arn:aws:iam::333333333333:role/cdk-hnb659fds-deploy-role-333333333333-"+region {
				t.Errorf("%s rule %d: %v, want %s in %s as the target's deploy role", name, i, r, alarm, region)
			}
			// The gate waits for an alarm to clear; the check after the bake does not.
			if wait, gate := cfg["WaitTime"], i < 2*len(regions); (gate && wait != "30") || (!gate && wait != nil) {
				t.Errorf("%s rule %d waits %v", name, i, wait)
			}
		}
	}
	// The pipeline role may assume those deploy roles (the rules are "assumed through the
	// roleArn for the pipeline", CloudFormation, RuleDeclaration RoleArn).
	assert(t, "pipeline role assumes the rules' roles", func() {
		staged.template(t, "shipping-pipeline").HasResourceProperties(jsii.String("AWS::IAM::Policy"), &m{
			"PolicyDocument": m{"Statement": assertions.Match_ArrayWith(&a{assertions.Match_ObjectLike(&m{
				"Sid": "CheckTheAlarmsOfRemoteTargets", "Action": "sts:AssumeRole",
				"Resource": assertions.Match_ArrayWith(&a{"arn:aws:iam::333333333333:role/cdk-hnb659fds-deploy-role-333333333333-us-west-2"}),
			})})},
		})
	})
	// ... and those roles may describe the alarms, composite ones included (which needs "*":
	// CloudWatch User Guide, "CloudWatch permissions reference").
	assert(t, "deploy role describes alarms", func() {
		staged.template(t, "golden-pipelines-shared-333333333333-us-west-2").HasResourceProperties(jsii.String("AWS::IAM::Policy"), &m{
			"PolicyDocument": m{"Statement": assertions.Match_ArrayWith(&a{assertions.Match_ObjectLike(&m{
				"Sid": "CheckTheAlarms", "Action": "cloudwatch:DescribeAlarms", "Resource": "*",
			})})},
		})
	})
}

// Every target has its health alarm: a composite alarm over its deployment alarms, which the
// conditions watch; the minimum-invocations alarm guards the deployment group, treats missing
// data as breaching (a shift nobody calls fails), and stays out of the health alarm (a quiet
// hour must not close the gate).
func TestHealthAndInvocationsAlarms(t *testing.T) {
	tpl := staged.template(t, "shipping-staging")
	health := staged.resources(t, "shipping-staging", "AWS::CloudWatch::CompositeAlarm")
	if len(health) != 1 {
		t.Fatalf("%d composite alarms in shipping-staging, want the health alarm", len(health))
	}
	var p map[string]interface{}
	for _, r := range health {
		p = props(r)
	}
	rule, _ := json.Marshal(p["AlarmRule"])
	if p["AlarmName"] != "shipping-staging-health" || !strings.Contains(string(rule), "ErrorsAlarm") || strings.Contains(string(rule), "Invocations") {
		t.Errorf("health alarm %v: %s", p["AlarmName"], rule)
	}
	assert(t, "invocations alarm", func() {
		tpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), &m{
			"AlarmName": "shipping-staging-invocations", "MetricName": "Invocations", "Threshold": 5,
			"ComparisonOperator": "LessThanThreshold", "TreatMissingData": "breaching",
		})
	})
	assert(t, "invocations alarm guards the deployment group", func() {
		tpl.HasResourceProperties(jsii.String("AWS::CodeDeploy::DeploymentGroup"), &m{
			"AlarmConfiguration": assertions.Match_ObjectLike(&m{"Alarms": assertions.Match_ArrayWith(&a{m{"Name": m{"Ref": assertions.Match_StringLikeRegexp(jsii.String("InvocationsAlarm"))}}})}),
		})
	})
	if n := len(staged.resources(t, "shipping-dev", "AWS::CloudWatch::CompositeAlarm")); n != 1 {
		t.Errorf("shipping-dev has %d health alarms", n)
	}
}

// A container stage bakes in its deployment: CodeDeploy keeps the blue tasks (and watches the
// alarms) for the bake when it is longer than the service's termination wait.
func TestContainerBakeKeepsTheBlueTasks(t *testing.T) {
	for stack, want := range map[string]float64{"tracking-production-eu-west-1": 45, "tracking-staging": 5} {
		assert(t, stack+" termination wait", func() {
			staged.template(t, stack).HasResourceProperties(jsii.String("AWS::CodeDeploy::DeploymentGroup"), &m{
				"BlueGreenDeploymentConfiguration": assertions.Match_ObjectLike(&m{
					"TerminateBlueInstancesOnDeploymentSuccess": m{"Action": "TERMINATE", "TerminationWaitTimeInMinutes": want},
				}),
			})
		})
	}
}

// A baking Lambda stage's deploy step carries the bake as the update's rollback
// configuration: the target's health alarm as trigger (CloudFormation takes
// "AWS::CloudWatch::CompositeAlarm" triggers, at most 5, and 0-180 minutes of monitoring:
// User Guide, "Roll back your CloudFormation stack on alarm breach with rollback triggers"); a
// stage that does not bake clears what an earlier update saved ("CloudFormation saves the
// rollback triggers specified for a stack and applies them to any subsequent update
// operations", API Reference, RollbackConfiguration).
func TestDeployCarriesTheBakeAsRollbackConfiguration(t *testing.T) {
	const arn = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:scripted-production-health"
	env := projectEnv(t, variants, "scripted-pipeline", "scripted-deploy-production", nil)
	if env["MONITORING_MINUTES"] != "30" {
		t.Errorf("production MONITORING_MINUTES %q, want the 30-minute bake", env["MONITORING_MINUTES"])
	}
	if !strings.Contains(mustJSON(t, variants.resources(t, "scripted-pipeline", "AWS::CodeBuild::Project")), `:alarm:scripted-production-health`) {
		t.Error("the production deploy project does not name its health alarm")
	}
	r := deployRun(t, deployCase{release: "build-60", project: "scripted-deploy-production",
		env: map[string]string{"ROLLBACK_ALARM_ARN": arn}})
	if !r.ok {
		t.Fatalf("deploy failed:\n%s", r.output)
	}
	updates := r.called("cloudformation update-stack")
	want := `--rollback-configuration {"RollbackTriggers":[{"Arn":"` + arn + `","Type":"AWS::CloudWatch::CompositeAlarm"}],"MonitoringTimeInMinutes":30}`
	if len(updates) != 1 || !strings.Contains(updates[0], want) {
		t.Errorf("update %v lacks %s", updates, want)
	}
	staging := deployRun(t, deployCase{release: "build-61"})
	if u := staging.called("cloudformation update-stack"); len(u) != 1 || !strings.Contains(u[0], `--rollback-configuration {"RollbackTriggers":[],"MonitoringTimeInMinutes":0}`) {
		t.Errorf("a stage without a bake does not clear the rollback configuration: %v", u)
	}
}

// A stage rollback runs the stage's actions again with the variables and artifacts of the
// execution it rolls back to ("CodePipeline will use the variables and artifacts from the
// execution to which it is rolling back", User Guide, "Configuring stage rollback"): the deploy
// step gets the older RELEASE and moves the stack back through the same update, so CodeDeploy
// shifts the alias with its alarms and hooks, and the release parameter names what runs after
// it: a later cdk deploy keeps the rolled-back release (no revert to the failed one).
func TestStageRollbackRedeploysThroughTheSameStep(t *testing.T) {
	r := deployRun(t, deployCase{release: "build-40", project: "scripted-deploy-production", running: "build-41", param: "build-41",
		statuses: []string{"UPDATE_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"}})
	if !r.ok {
		t.Fatalf("the rollback's redeploy failed:\n%s", r.output)
	}
	if got := param(t, r); got != "build-40" {
		t.Errorf("release parameter %q after the rollback, want build-40", got)
	}
	if u := r.called("cloudformation update-stack"); len(u) != 1 || !strings.Contains(u[0], "--use-previous-template") {
		t.Errorf("the rollback did not update the stack once with its own template: %v", u)
	}
	if !strings.Contains(r.output, "releasing build-40 to scripted-production (running: build-41)") {
		t.Errorf("output:\n%s", r.output)
	}
}

func mustJSON(t *testing.T, v interface{}) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// What the safety does reaches the team: an execution that rolls a stage back (its trigger
// type, CodePipeline API Reference, ExecutionTrigger) and a retried stage (state RESUMED,
// "Monitoring CodePipeline events") go to the service's topic.
func TestRollbacksAndRetriesAreNotified(t *testing.T) {
	assert(t, "release safety rule", func() {
		fixture.template(t, "orders-pipeline").HasResourceProperties(jsii.String("AWS::Events::Rule"), &m{
			"Name": "orders-release-safety",
			"EventPattern": m{
				"source": a{"aws.codepipeline"},
				"detail": m{"pipeline": a{"orders"}, "$or": a{
					m{"state": a{"STARTED"}, "execution-trigger": m{"trigger-type": a{"AutomatedRollback", "ManualRollback"}}},
					m{"state": a{"RESUMED"}},
				}},
			},
			"Targets": assertions.Match_ArrayWith(&a{assertions.Match_ObjectLike(&m{"Arn": m{"Ref": assertions.Match_StringLikeRegexp(jsii.String("FeedbackTopic"))}})}),
		})
	})
}

// A container stage with a canary path gets a Synthetics canary on a supported runtime
// (syn-nodejs-puppeteer-13.0; "You can't create canaries using deprecated runtime versions",
// CloudWatch Synthetics runtime support policy), running every minute (the shortest schedule,
// "between rate(1 minute) and rate(1 hour)", Synthetics API, CanaryScheduleInput) in the
// service's private subnets (the test listener admits their NAT gateways), calling the health
// and the canary path through both listeners, its artifacts encrypted with a key of the stack.
// Its alarm treats missing data as breaching (a canary that does not report proves nothing),
// guards the deployment group and joins the health alarm.
func TestContainerCanaryCallsBothListeners(t *testing.T) {
	stack := "tracking-production-eu-west-1"
	canaries := staged.resources(t, stack, "AWS::Synthetics::Canary")
	if len(canaries) != 1 {
		t.Fatalf("%d canaries in %s", len(canaries), stack)
	}
	var p map[string]interface{}
	for _, c := range canaries {
		p = props(c)
	}
	if p["RuntimeVersion"] != "syn-nodejs-puppeteer-13.0" || p["Schedule"].(map[string]interface{})["Expression"] != "rate(1 minute)" || p["StartCanaryAfterCreation"] != true {
		t.Errorf("canary runtime %v, schedule %v, started %v", p["RuntimeVersion"], p["Schedule"], p["StartCanaryAfterCreation"])
	}
	urls := mustJSON(t, p["RunConfig"])
	for _, want := range []string{`:80/health\", \"test\": false`, `:80/parcels\", \"test\": false`, `:9000/health\", \"test\": true`, `:9000/parcels\", \"test\": true`} {
		if !strings.Contains(urls, want) {
			t.Errorf("canary URLs lack %s: %s", want, urls)
		}
	}
	vpc := mustJSON(t, p["VPCConfig"])
	if !strings.Contains(vpc, "PrivateSubnet1") || !strings.Contains(vpc, "PrivateSubnet2") || strings.Contains(vpc, "Public") {
		t.Errorf("canary network %s, want the private subnets", vpc)
	}
	if enc := mustJSON(t, p["ArtifactConfig"]); !strings.Contains(enc, `"EncryptionMode":"SSE_KMS"`) || !strings.Contains(enc, "CanaryKey") {
		t.Errorf("canary artifacts %s", enc)
	}
	tpl := staged.template(t, stack)
	assert(t, "canary alarm", func() {
		tpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), &m{
			"AlarmName": "tracking-production-canary", "Namespace": "CloudWatchSynthetics", "MetricName": "SuccessPercent",
			"Threshold": 100, "ComparisonOperator": "LessThanThreshold", "EvaluationPeriods": 2, "TreatMissingData": "breaching",
		})
	})
	assert(t, "canary alarm guards the deployment group", func() {
		tpl.HasResourceProperties(jsii.String("AWS::CodeDeploy::DeploymentGroup"), &m{
			"AlarmConfiguration": assertions.Match_ObjectLike(&m{"Alarms": assertions.Match_ArrayWith(&a{m{"Name": m{"Ref": assertions.Match_StringLikeRegexp(jsii.String("CanaryAlarm"))}}})}),
		})
	})
	for _, h := range staged.resources(t, stack, "AWS::CloudWatch::CompositeAlarm") {
		if rule := mustJSON(t, props(h)["AlarmRule"]); !strings.Contains(rule, "CanaryAlarm") {
			t.Errorf("the health alarm leaves the canary out: %s", rule)
		}
	}
	if n := len(staged.resources(t, "tracking-staging", "AWS::Synthetics::Canary")); n != 0 {
		t.Errorf("staging (no canary path) has %d canaries", n)
	}
}

// The canary script, as the template holds it, run by node against local listeners: it passes
// when both listeners answer 2xx, and when the test listener's load balancer answers 503 itself
// (no replacement tasks: between deployments); it fails on a production 5xx, on an application's
// 503 through the test listener, and on a listener that does not answer.
func TestCanaryScript(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	var script string
	for _, c := range staged.resources(t, "tracking-production-eu-west-1", "AWS::Synthetics::Canary") {
		script = props(c)["Code"].(map[string]interface{})["Script"].(string)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.js"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	listener := func(status int, server string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if server != "" {
				w.Header().Set("Server", server)
			}
			w.WriteHeader(status)
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	run := func(prod, test string) error {
		urls := fmt.Sprintf(`[{"url": "%s/health", "test": false}, {"url": "%s/parcels", "test": false}, {"url": "%s/health", "test": true}]`, prod, prod, test)
		cmd := exec.Command("node", "-e", `require("./index.js").handler().then(() => console.log("PASSED"), e => { console.error(e.message); process.exit(1) })`)
		cmd.Dir, cmd.Env = dir, append(os.Environ(), "CANARY_URLS="+urls)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	}
	ok, prod500 := listener(200, ""), listener(500, "")
	noTasks, app503 := listener(503, "awselb/2.0"), listener(503, "")
	closed := "http://127.0.0.1:1"
	for _, c := range []struct {
		name       string
		prod, test string
		pass       bool
	}{
		{"both answer", ok, ok, true},
		{"no replacement tasks", ok, noTasks, true},
		{"production 500", prod500, ok, false},
		{"application 503 on the test listener", ok, app503, false},
		{"test listener closed", ok, closed, false},
	} {
		if err := run(c.prod, c.test); (err == nil) != c.pass {
			t.Errorf("%s: passed %v, want %v (%v)", c.name, err == nil, c.pass, err)
		}
	}
}
