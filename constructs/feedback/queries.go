package feedback

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// The Logs Insights queries behind the delivery figures. Every query reads the shared events log
// group (EventsLogGroupName), whose log events are the EventBridge events themselves (the whole
// event as JSON; Logs Insights discovers its fields, e.g. detail.pipeline, and the event's time
// is the log event's @timestamp). Each query takes the services it covers and groups by service,
// so one query serves one service's dashboard and the overview alike.

// Stages are the pipeline stages the delivery figures read (spec.DeliveryStages).
type Stages = spec.DeliveryStages

// MaxQueryLength is the longest query Logs Insights runs (StartQuery's queryString); the
// overview splits its service lists so that no query is longer.
const MaxQueryLength = 10000

// Event detail types the queries and rules rely on, as CodePipeline, CodeDeploy and CloudWatch
// document them.
const (
	PipelineExecutionEvent = "CodePipeline Pipeline Execution State Change"
	StageExecutionEvent    = "CodePipeline Stage Execution State Change"
	ActionExecutionEvent   = "CodePipeline Action Execution State Change"
	DeploymentEvent        = "CodeDeploy Deployment State-change Notification"
	AlarmStateEvent        = "CloudWatch Alarm State Change"
)

// AlarmTimestampFormat is how a CloudWatch alarm state change event writes its state
// timestamps (e.g. 2019-10-02T17:20:48.551+0000), as a Java DateTimeFormatter pattern for
// Logs Insights' parseDate.
const AlarmTimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.SSSZ"

// stageFields names the fields of a pipeline or stage event.
const stageFields = "fields `detail-type` as type, detail.pipeline as service, detail.stage as stage, detail.state as state"

// list writes names as a Logs Insights list: ["a", "b"].
func list(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// released filters the releases that completed: a service's last stage succeeded.
func released(st Stages) string {
	return fmt.Sprintf(`filter type = %q and stage in %s and state = "SUCCEEDED"`, StageExecutionEvent, list(st.Released))
}

// outcomes are the production outcomes, one row per execution and pipeline stage: a release
// completed (the service's last stage succeeded: released = 1), or a change failed in
// production (a production stage failed after an action of it ran: failed = 1; a wave its
// gate or window kept from starting ran none, and is no failed change). A stage that failed
// and then succeeded on a retry is one failed outcome. at is the outcome's time.
func outcomes(services []string, st Stages) []string {
	return []string{
		stageFields + ", `detail.execution-id` as execution",
		fmt.Sprintf(`filter service in %s and ((type = %q and stage in %s and state = "SUCCEEDED") or (stage in %s and ((type = %q and state = "FAILED") or (type = %q and state = "STARTED"))))`,
			list(services), StageExecutionEvent, list(st.Released), list(st.Production), StageExecutionEvent, ActionExecutionEvent),
		`stats max(strcontains(type, "Stage") * strcontains(state, "SUCCEEDED")) as released, max(strcontains(type, "Stage") * strcontains(state, "FAILED")) as failed, ` +
			`max(strcontains(type, "Action")) as ran, max(@timestamp) as at by service, execution, stage`,
		"filter released = 1 or (failed = 1 and ran = 1)",
	}
}

// DeploymentFrequencyQuery counts each service's production deployments: the releases that
// reached the end of their last production stage.
func DeploymentFrequencyQuery(services []string, st Stages) string {
	return strings.Join([]string{
		stageFields,
		released(st) + " and service in " + list(services),
		"stats count(*) as productionDeployments by service",
	}, "\n| ")
}

// DeploymentsPerDayQuery counts the production deployments of the services per day.
func DeploymentsPerDayQuery(services []string, st Stages) string {
	return strings.Join([]string{
		stageFields,
		released(st) + " and service in " + list(services),
		"stats count(*) as productionDeployments by bin(1d)",
	}, "\n| ")
}

// LeadTimeQuery measures, for each pipeline execution that reached production, the time from
// its start (the STARTED event of the execution, which the commit's push starts) to the success
// of its last stage, and summarizes it per service. An execution whose start lies before the
// queried time range is left out.
func LeadTimeQuery(services []string, st Stages) string {
	return strings.Join([]string{
		stageFields + ", `detail.execution-id` as execution, toMillis(@timestamp) as t",
		fmt.Sprintf(`filter service in %s and ((type = %q and state = "STARTED") or (type = %q and stage in %s and state = "SUCCEEDED"))`,
			list(services), PipelineExecutionEvent, StageExecutionEvent, list(st.Released)),
		"stats count(*) as events, (max(t) - min(t)) / 60000 as leadTimeMinutes by service, execution",
		"filter events = 2",
		"stats count(*) as releasedChanges, avg(leadTimeMinutes) as meanMinutes, pct(leadTimeMinutes, 50) as medianMinutes, max(leadTimeMinutes) as longestMinutes by service",
	}, "\n| ")
}

// ChangeFailureRateQuery divides each service's failed production deployments (a production
// stage failed after an action of it ran: a deployment failed, CodeDeploy or the stack rolled it
// back, a bake's alarm fired; once per execution and stage, however many of a wave's targets
// failed) by all of its production outcomes (those and the completed releases).
func ChangeFailureRateQuery(services []string, st Stages) string {
	return strings.Join(append(outcomes(services, st),
		`stats count(*) as productionDeployments, sum(failed) as failures, 100 * sum(failed) / count(*) as changeFailureRatePercent by service`,
	), "\n| ")
}

// BlockedAtTheGateQuery counts, per service, the production waves that did not start: their
// stage failed and none of its actions started (the alarm gate or a window kept it closed).
// They are not failed changes.
func BlockedAtTheGateQuery(services []string, st Stages) string {
	return strings.Join([]string{
		stageFields + ", `detail.execution-id` as execution",
		fmt.Sprintf(`filter service in %s and stage in %s and ((type = %q and state = "FAILED") or (type = %q and state = "STARTED"))`,
			list(services), list(st.Production), StageExecutionEvent, ActionExecutionEvent),
		`stats sum(strcontains(type, "Stage")) as failed, sum(strcontains(type, "Action")) as started by service, execution, stage`,
		"filter failed > 0 and started = 0",
		"stats count(*) as blockedWaves by service",
	}, "\n| ")
}

// TimeToRestoreQuery measures how long production stayed failed: each service's
// production-failed alarm goes to ALARM when a production deployment fails and back to OK with
// the next successful one, so every OK state change after ALARM is one restore, and its
// duration is the time between the two state changes (both in the event).
func TimeToRestoreQuery(services []string, _ Stages) string {
	alarms := make([]string, len(services))
	for i, s := range services {
		alarms[i] = (&spec.Service{Name: s}).ProductionFailedAlarmName()
	}
	return strings.Join([]string{
		fmt.Sprintf("fields `detail-type` as type, detail.alarmName as alarm, replace(detail.alarmName, %q, \"\") as service, "+
			"detail.previousState.value as previous, detail.state.value as state, "+
			"(parseDate(detail.state.timestamp, %q) - parseDate(detail.previousState.timestamp, %q)) / 60000 as minutesToRestore",
			spec.ProductionFailedAlarmPrefix, AlarmTimestampFormat, AlarmTimestampFormat),
		fmt.Sprintf(`filter type = %q and alarm in %s and previous = "ALARM" and state = "OK"`, AlarmStateEvent, list(alarms)),
		"stats count(*) as restores, avg(minutesToRestore) as meanMinutes, pct(minutesToRestore, 50) as medianMinutes, max(minutesToRestore) as longestMinutes by service",
	}, "\n| ")
}

// ProductionOutcomesQuery lists the latest production outcomes of the services, newest first.
func ProductionOutcomesQuery(services []string, st Stages) string {
	return strings.Join(append(outcomes(services, st),
		"sort at desc",
		"limit 20",
		"display at, service, stage, released, failed, execution",
	), "\n| ")
}

// LastDeploymentQuery reports the state CodeDeploy last reported for each deployment group
// (START, SUCCESS, FAILURE, STOP or READY), its deployment and when.
func LastDeploymentQuery(deploymentGroups []string) string {
	return strings.Join([]string{
		"fields `detail-type` as type, detail.deploymentGroup as deploymentGroup, detail.deploymentId as deployment, detail.state as state",
		fmt.Sprintf("filter type = %q and deploymentGroup in %s", DeploymentEvent, list(deploymentGroups)),
		"stats latest(state) as lastState, latest(deployment) as lastDeployment, max(@timestamp) as lastChange by deploymentGroup",
	}, "\n| ")
}

// Split divides names into the fewest consecutive groups for which query(group) stays within
// MaxQueryLength (the "SOURCE '<log group>' | " a dashboard widget adds included).
func Split(names []string, query func([]string) string) [][]string {
	limit := MaxQueryLength - len(fmt.Sprintf("SOURCE '%s' | ", EventsLogGroupName))
	var out [][]string
	var cur []string
	for _, n := range names {
		next := append(append([]string(nil), cur...), n)
		if len(cur) > 0 && len(query(next)) > limit {
			out = append(out, cur)
			next = []string{n}
		}
		if len(query(next)) > limit {
			panic(fmt.Sprintf("feedback: the query for %q alone is longer than Logs Insights allows", n))
		}
		cur = next
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}
