package test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Sample events in the shapes CodePipeline, CodeDeploy and CloudWatch document (see the README,
// Feedback and visibility): the field names, nesting and state values the rules, metric
// filters and queries rely on. The tests run the synthesized patterns, filters and queries
// against them, so a pattern that names a field the events do not have fails here.
//
//   - CodePipeline: https://docs.aws.amazon.com/codepipeline/latest/userguide/detect-state-changes-cloudwatch-events.html
//   - CodeDeploy: https://docs.aws.amazon.com/codedeploy/latest/userguide/monitoring-cloudwatch-events.html
//   - CloudWatch alarms: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
var sampleEvents = map[string]string{
	"pipeline started": `{"version": "0", "id": "01234567-0123-0123-0123-012345678901", "detail-type": "CodePipeline Pipeline Execution State Change",
		"source": "aws.codepipeline", "account": "123456789012", "time": "2026-03-02T10:00:00Z", "region": "eu-west-1",
		"resources": ["arn:aws:codepipeline:eu-west-1:123456789012:orders"],
		"detail": {"pipeline": "orders", "execution-id": "01234567-0123-0123-0123-012345678901",
			"execution-trigger": {"trigger-type": "CloudWatchEvent", "trigger-detail": "arn:aws:events:eu-west-1:123456789012:rule/orders"},
			"state": "STARTED", "version": 1, "pipeline-execution-attempt": 1}}`,
	"pipeline failed": `{"version": "0", "id": "01234567-0123-0123-0123-012345678902", "detail-type": "CodePipeline Pipeline Execution State Change",
		"source": "aws.codepipeline", "account": "123456789012", "time": "2026-03-02T10:30:00Z", "region": "eu-west-1",
		"resources": ["arn:aws:codepipeline:eu-west-1:123456789012:orders"],
		"detail": {"pipeline": "orders", "execution-id": "01234567-0123-0123-0123-012345678901", "state": "FAILED", "version": 1, "pipeline-execution-attempt": 1}}`,
	"production succeeded": `{"version": "0", "id": "01234567-0123-0123-0123-012345678903", "detail-type": "CodePipeline Stage Execution State Change",
		"source": "aws.codepipeline", "account": "123456789012", "time": "2026-03-02T10:40:00Z", "region": "eu-west-1",
		"resources": ["arn:aws:codepipeline:eu-west-1:123456789012:orders"],
		"detail": {"pipeline": "orders", "execution-id": "01234567-0123-0123-0123-012345678901", "stage": "Production", "state": "SUCCEEDED",
			"version": 1, "pipeline-execution-attempt": 1}}`,
	"production failed": `{"version": "0", "id": "01234567-0123-0123-0123-012345678904", "detail-type": "CodePipeline Stage Execution State Change",
		"source": "aws.codepipeline", "account": "123456789012", "time": "2026-03-02T10:20:00Z", "region": "eu-west-1",
		"resources": ["arn:aws:codepipeline:eu-west-1:123456789012:orders"],
		"detail": {"pipeline": "orders", "execution-id": "01234567-0123-0123-0123-012345678901", "stage": "Production", "state": "FAILED",
			"version": 1, "pipeline-execution-attempt": 1}}`,
	"staging failed": `{"version": "0", "id": "01234567-0123-0123-0123-012345678905", "detail-type": "CodePipeline Stage Execution State Change",
		"source": "aws.codepipeline", "account": "123456789012", "time": "2026-03-02T10:10:00Z", "region": "eu-west-1",
		"resources": ["arn:aws:codepipeline:eu-west-1:123456789012:orders"],
		"detail": {"pipeline": "orders", "execution-id": "01234567-0123-0123-0123-012345678901", "stage": "Staging", "state": "FAILED",
			"version": 1, "pipeline-execution-attempt": 1}}`,
	"production deploy action failed": `{"version": "0", "id": "01234567-0123-0123-0123-012345678906", "detail-type": "CodePipeline Action Execution State Change",
		"source": "aws.codepipeline", "account": "123456789012", "time": "2026-03-02T10:19:00Z", "region": "eu-west-1",
		"resources": ["arn:aws:codepipeline:eu-west-1:123456789012:orders"],
		"detail": {"pipeline": "orders", "execution-id": "01234567-0123-0123-0123-012345678901", "stage": "Production", "action": "Deploy",
			"state": "FAILED", "region": "eu-west-1", "type": {"owner": "AWS", "provider": "CodeBuild", "category": "Build", "version": "1"},
			"version": 1, "pipeline-execution-attempt": 1}}`,
	"deployment failed": `{"version": "0", "id": "01234567-0123-0123-0123-012345678907", "detail-type": "CodeDeploy Deployment State-change Notification",
		"source": "aws.codedeploy", "account": "123456789012", "time": "2026-03-02T10:18:00Z", "region": "eu-west-1",
		"resources": ["arn:aws:codedeploy:eu-west-1:123456789012:application:orders-production",
			"arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:orders-production/orders-production"],
		"detail": {"instanceGroupId": "9fd2fbef-2157-40d8-91e7-6845af69e2d2", "region": "eu-west-1", "application": "orders-production",
			"deploymentId": "d-123456789", "state": "FAILURE", "deploymentGroup": "orders-production"}}`,
	"deployment succeeded": `{"version": "0", "id": "01234567-0123-0123-0123-012345678908", "detail-type": "CodeDeploy Deployment State-change Notification",
		"source": "aws.codedeploy", "account": "123456789012", "time": "2026-03-02T10:38:00Z", "region": "eu-west-1",
		"resources": ["arn:aws:codedeploy:eu-west-1:123456789012:application:orders-production",
			"arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:orders-production/orders-production"],
		"detail": {"instanceGroupId": "9fd2fbef-2157-40d8-91e7-6845af69e2d3", "region": "eu-west-1", "application": "orders-production",
			"deploymentId": "d-223456789", "state": "SUCCESS", "deploymentGroup": "orders-production"}}`,
	"production restored": `{"version": "0", "id": "01234567-0123-0123-0123-012345678909", "detail-type": "CloudWatch Alarm State Change",
		"source": "aws.cloudwatch", "account": "123456789012", "time": "2026-03-02T10:41:00Z", "region": "eu-west-1",
		"resources": ["arn:aws:cloudwatch:eu-west-1:123456789012:alarm:golden-pipelines.production-failed.orders"],
		"detail": {"alarmName": "golden-pipelines.production-failed.orders",
			"state": {"value": "OK", "reason": "Threshold Crossed: 1 datapoint [0.0 (02/03/26 10:40:00)] was not greater than or equal to the threshold (1.0).",
				"timestamp": "2026-03-02T10:41:12.551+0000"},
			"previousState": {"value": "ALARM", "reason": "Threshold Crossed", "timestamp": "2026-03-02T10:21:02.985+0000"},
			"configuration": {"description": "orders: production failed", "metrics": [{"id": "m1", "metricStat": {"metric": {"namespace": "GoldenPipelines",
				"name": "ProductionFailed", "dimensions": {"Service": "orders"}}, "period": 60, "stat": "Maximum"}, "returnData": true}]}}}`,
	"other alarm": `{"version": "0", "id": "01234567-0123-0123-0123-012345678910", "detail-type": "CloudWatch Alarm State Change",
		"source": "aws.cloudwatch", "account": "123456789012", "time": "2026-03-02T10:41:00Z", "region": "eu-west-1",
		"resources": ["arn:aws:cloudwatch:eu-west-1:123456789012:alarm:orders-production-errors"],
		"detail": {"alarmName": "orders-production-errors", "state": {"value": "ALARM", "timestamp": "2026-03-02T10:41:12.551+0000"},
			"previousState": {"value": "OK", "timestamp": "2026-03-02T09:00:00.000+0000"}}}`,
}

func sample(t *testing.T, name string) map[string]interface{} {
	t.Helper()
	var e map[string]interface{}
	if err := json.Unmarshal([]byte(sampleEvents[name]), &e); err != nil {
		t.Fatalf("sample %q: %v", name, err)
	}
	return e
}

// matches evaluates an EventBridge event pattern as EventBridge does for the forms the stacks
// use: a list of values (an event value, or any element of an event array, equal to one of
// them, or starting with a {"prefix": ...}), and nested objects. Every field of the pattern must
// be present in the event.
func matches(pattern map[string]interface{}, event map[string]interface{}) bool {
	for k, want := range pattern {
		got, ok := event[k]
		if !ok {
			return false
		}
		switch w := want.(type) {
		case map[string]interface{}:
			sub, ok := got.(map[string]interface{})
			if !ok || !matches(w, sub) {
				return false
			}
		case []interface{}:
			values := []interface{}{got}
			if arr, ok := got.([]interface{}); ok {
				values = arr
			}
			if !anyMatch(w, values) {
				return false
			}
		default:
			panic(fmt.Sprintf("pattern field %s: unsupported %T", k, want))
		}
	}
	return true
}

func anyMatch(options, values []interface{}) bool {
	for _, v := range values {
		for _, o := range options {
			switch o := o.(type) {
			case map[string]interface{}:
				p, ok := o["prefix"].(string)
				if len(o) != 1 || !ok {
					panic(fmt.Sprintf("unsupported pattern operator %v", o))
				}
				if s, ok := v.(string); ok && strings.HasPrefix(s, p) {
					return true
				}
			default:
				if reflect.DeepEqual(o, v) {
					return true
				}
			}
		}
	}
	return false
}

// metricFilterCondition is one ($.path = "value") or ($.path NOT EXISTS) of a JSON metric
// filter pattern; "*" matches any value, so the field exists (CloudWatch Logs, "Using filter
// patterns to match terms in JSON log events"; the CDK's FilterPattern.exists and notExists).
var metricFilterCondition = regexp.MustCompile(`\(\$\.([A-Za-z0-9.-]+)(?: = "([^"]*)"| (NOT EXISTS))\)`)

// filterMatches evaluates a metric filter pattern of the form { (cond) && (cond) ... }, the only
// form the stacks use.
func filterMatches(t *testing.T, pattern string, event map[string]interface{}) bool {
	t.Helper()
	conds := metricFilterCondition.FindAllStringSubmatch(pattern, -1)
	rebuilt := make([]string, len(conds))
	for i, c := range conds {
		rebuilt[i] = c[0]
	}
	if want := "{ " + strings.Join(rebuilt, " && ") + " }"; len(conds) == 0 || pattern != want {
		t.Fatalf("metric filter pattern %q is not a conjunction of equalities (%q)", pattern, want)
	}
	for _, c := range conds {
		v, ok := lookup(event, c[1])
		switch {
		case c[3] != "": // NOT EXISTS
			if ok {
				return false
			}
		case c[2] == "*":
			if !ok {
				return false
			}
		case !ok || v != c[2]:
			return false
		}
	}
	return true
}

// lookup follows a dotted path (detail.previousState.value) into an event.
func lookup(event map[string]interface{}, path string) (interface{}, bool) {
	var cur interface{} = event
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]interface{})
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// queryField matches the event fields a Logs Insights query reads: detail.<...> and backticked
// names (`detail-type`, `detail.execution-id`).
var queryField = regexp.MustCompile("`([A-Za-z.-]+)`|\\b(detail(?:\\.[A-Za-z]+(?:-[a-z]+)*)+)")

// queryFields lists the event fields a query reads.
func queryFields(query string) []string {
	var out []string
	for _, m := range queryField.FindAllStringSubmatch(query, -1) {
		f := m[1]
		if f == "" {
			f = m[2]
		}
		out = append(out, f)
	}
	return out
}

// javaToGoLayout translates the Java DateTimeFormatter letters AlarmTimestampFormat uses.
func javaToGoLayout(t *testing.T, java string) string {
	t.Helper()
	r := strings.NewReplacer("yyyy", "2006", "MM", "01", "dd", "02", "'T'", "T", "HH", "15", "mm", "04", "ss", "05", "SSS", "000", "Z", "-0700")
	layout := r.Replace(java)
	if strings.ContainsAny(layout, "yMdHmsSZ'") {
		t.Fatalf("cannot translate %q (left %q)", java, layout)
	}
	return layout
}

func parseAlarmTime(t *testing.T, layout, s string) time.Time {
	t.Helper()
	v, err := time.Parse(layout, s)
	if err != nil {
		t.Fatalf("the alarm event timestamp %q does not have the format the query parses: %v", s, err)
	}
	return v
}
