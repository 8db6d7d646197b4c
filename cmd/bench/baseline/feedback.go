package baseline

// Notifications, delivery events and dashboards, with raw L2 calls: the shared stack's events
// log group, its resource policy, the rules that fill it, the production metric filters and the
// overview dashboard; per service (in its pipeline stack) the notification topic and its
// subscriptions, the CodeStar notification rule, the rollback rule, the production-failed alarm
// and the service's dashboard. The Logs Insights queries are written out here as plain strings.

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awschatbot"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodestarnotifications"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawsevents"
	"github.com/aws/jsii-runtime-go"
)

const (
	eventsLogGroup         = "/golden-pipelines/delivery-events"
	metricNamespace        = "GoldenPipelines"
	productionFailedMetric = "ProductionFailed"
	productionFailedPrefix = "golden-pipelines.production-failed."
	// maxQueryLength is the longest query Logs Insights runs; maxAlarmsPerWidget how many alarms
	// an alarm status widget shows.
	maxQueryLength     = 10000
	maxAlarmsPerWidget = 100

	pipelineExecutionEvent = "CodePipeline Pipeline Execution State Change"
	stageExecutionEvent    = "CodePipeline Stage Execution State Change"
	deploymentEvent        = "CodeDeploy Deployment State-change Notification"
	alarmStateEvent        = "CloudWatch Alarm State Change"
)

// sharedFeedback declares the events log group, its one resource policy, the three rules that
// write pipeline, deployment and production-failed alarm events into it, the metric filters of
// the production outcomes and the overview dashboard.
func sharedFeedback(stack awscdk.Stack, services []Service) {
	logs := awslogs.NewLogGroup(stack, jsii.String("Events"), &awslogs.LogGroupProps{
		EncryptionKey: logsKey(stack),
		LogGroupName:  jsii.String(eventsLogGroup), Retention: awslogs.RetentionDays_THIRTEEN_MONTHS, RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	policy := awslogs.NewResourcePolicy(stack, jsii.String("EventsPolicy"), &awslogs.ResourcePolicyProps{
		ResourcePolicyName: jsii.String("golden-pipelines-delivery-events"),
		PolicyStatements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
			Actions:    jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
			Resources:  &[]*string{logs.LogGroupArn()},
		})},
	})
	target := &logGroupTarget{arn: stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("logs"), Resource: jsii.String("log-group"),
		ResourceName: jsii.String(eventsLogGroup), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})}
	for _, r := range []struct {
		id, name, what string
		pattern        *awsevents.EventPattern
	}{
		{"PipelineEvents", "golden-pipelines-shared-pipeline-events", "Pipeline and stage execution state changes",
			&awsevents.EventPattern{Source: jsii.Strings("aws.codepipeline"), DetailType: jsii.Strings(pipelineExecutionEvent, stageExecutionEvent)}},
		{"DeploymentEvents", "golden-pipelines-shared-deployment-events", "CodeDeploy deployment state changes",
			&awsevents.EventPattern{Source: jsii.Strings("aws.codedeploy"), DetailType: jsii.Strings(deploymentEvent)}},
		{"RestoreEvents", "golden-pipelines-shared-restore-events", "Production-failed alarm state changes",
			&awsevents.EventPattern{Source: jsii.Strings("aws.cloudwatch"), DetailType: jsii.Strings(alarmStateEvent),
				Detail: &map[string]interface{}{"alarmName": awsevents.Match_Prefix(jsii.String(productionFailedPrefix))}}},
	} {
		rule := awsevents.NewRule(stack, jsii.String(r.id), &awsevents.RuleProps{
			RuleName: jsii.String(r.name), Description: jsii.String(r.what + " into " + eventsLogGroup),
			EventPattern: r.pattern, Targets: &[]awsevents.IRuleTarget{target},
		})
		rule.Node().AddDependency(policy)
	}
	for _, f := range []struct{ id, state, value string }{{"ProductionFailedFilter", "FAILED", "1"}, {"ProductionSucceededFilter", "SUCCEEDED", "0"}} {
		awslogs.NewMetricFilter(stack, jsii.String(f.id), &awslogs.MetricFilterProps{
			LogGroup:   logs,
			FilterName: jsii.String("golden-pipelines-production-" + strings.ToLower(f.state)),
			FilterPattern: awslogs.FilterPattern_Literal(jsii.String(fmt.Sprintf(
				`{ ($.source = "aws.codepipeline") && ($.detail.stage = "Production") && ($.detail.state = %q) }`, f.state))),
			MetricNamespace: jsii.String(metricNamespace), MetricName: jsii.String(productionFailedMetric), MetricValue: jsii.String(f.value),
			Dimensions: &map[string]*string{"Service": jsii.String("$.detail.pipeline")},
		})
	}
	overviewDashboard(stack, services)
}

// logGroupTarget sends a rule's events to the events log group, whose resource policy already
// lets EventBridge write (the CDK's CloudWatchLogGroup target would add a policy per rule).
type logGroupTarget struct{ arn *string }

// Bind implements awsevents.IRuleTarget.
func (t *logGroupTarget) Bind(_ interfacesawsevents.IRuleRef, _ *string) *awsevents.RuleTargetConfig {
	return &awsevents.RuleTargetConfig{Arn: t.arn}
}

// serviceFeedback declares the service's notification topic (encrypted with the pipeline's
// key), its subscriptions, the notification and rollback rules, the production-failed alarm and
// the service's dashboard, in its pipeline stack.
func serviceFeedback(stack awscdk.Stack, s *Service, key awskms.IKey, pipeline awscodepipeline.IPipeline) {
	topicName := s.Name + "-notifications"
	topic := awssns.NewTopic(stack, jsii.String("NotificationTopic"), &awssns.TopicProps{
		TopicName: jsii.String(topicName), DisplayName: jsii.String(s.Name + " releases"), MasterKey: key, EnforceSSL: jsii.Bool(true),
	})
	for _, e := range s.Notifications.Emails {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(e), nil))
	}
	for _, w := range s.Notifications.Webhooks {
		topic.AddSubscription(awssnssubscriptions.NewUrlSubscription(jsii.String(w), &awssnssubscriptions.UrlSubscriptionProps{
			Protocol: awssns.SubscriptionProtocol_HTTPS,
		}))
	}
	targets := []awscodestarnotifications.INotificationRuleTarget{topic}
	for i, arn := range s.Notifications.SlackChannels {
		targets = append(targets, awschatbot.SlackChannelConfiguration_FromSlackChannelConfigurationArn(stack,
			jsii.String(fmt.Sprintf("SlackChannel%d", i+1)), jsii.String(arn)))
	}
	rule := awscodestarnotifications.NewNotificationRule(stack, jsii.String("PipelineNotifications"), &awscodestarnotifications.NotificationRuleProps{
		NotificationRuleName: jsii.String(s.Name + "-pipeline"), Source: pipeline,
		Events: jsii.Strings("codepipeline-pipeline-pipeline-execution-failed", "codepipeline-pipeline-manual-approval-needed",
			"codepipeline-pipeline-pipeline-execution-succeeded"),
		Targets: &targets, DetailType: awscodestarnotifications.DetailType_FULL,
	})
	if policy := topic.Node().TryFindChild(jsii.String("Policy")); policy != nil {
		rule.Node().AddDependency(policy)
	}

	var applications []*string
	for _, env := range s.Environments {
		applications = append(applications, jsii.String(s.Name+"-"+env.Name))
	}
	field := func(path string) string { return *awsevents.EventField_FromPath(jsii.String(path)) }
	awsevents.NewRule(stack, jsii.String("Rollbacks"), &awsevents.RuleProps{
		RuleName:    jsii.String(s.Name + "-deployment-rollbacks"),
		Description: jsii.String("CodeDeploy deployments of " + s.Name + " that failed or stopped, and so rolled back, to " + topicName),
		EventPattern: &awsevents.EventPattern{
			Source: jsii.Strings("aws.codedeploy"), DetailType: jsii.Strings(deploymentEvent),
			Detail: &map[string]interface{}{"application": &applications, "state": jsii.Strings("FAILURE", "STOP")},
		},
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewSnsTopic(topic, &awseventstargets.SnsTopicProps{
			Message: awsevents.RuleTargetInput_FromText(jsii.String(fmt.Sprintf(
				"%s: CodeDeploy deployment %s of %s ended in %s at %s; the deployment group rolls back to the previous version. https://console.aws.amazon.com/codesuite/codedeploy/deployments/%s?region=%s",
				s.Name, field("$.detail.deploymentId"), field("$.detail.deploymentGroup"), field("$.detail.state"), *awsevents.EventField_Time(),
				field("$.detail.deploymentId"), *awsevents.EventField_Region()))),
		})},
	})

	awsevents.NewRule(stack, jsii.String("ReleaseSafety"), &awsevents.RuleProps{
		RuleName: jsii.String(s.Name + "-release-safety"),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings("aws.codepipeline"),
			DetailType: jsii.Strings("CodePipeline Pipeline Execution State Change", "CodePipeline Stage Execution State Change"),
			Detail: &map[string]interface{}{"pipeline": jsii.Strings(s.Name), "$or": []interface{}{
				map[string]interface{}{"state": jsii.Strings("STARTED"), "execution-trigger": map[string]interface{}{"trigger-type": jsii.Strings("AutomatedRollback", "ManualRollback")}},
				map[string]interface{}{"state": jsii.Strings("RESUMED")},
			}},
		},
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewSnsTopic(topic, &awseventstargets.SnsTopicProps{
			Message: awsevents.RuleTargetInput_FromText(jsii.String(fmt.Sprintf("%s: %s %s at %s (execution %s)",
				s.Name, field("$.detail-type"), field("$.detail.state"), *awsevents.EventField_Time(), field("$.detail.execution-id")))),
		})},
	})

	failed := awscloudwatch.NewAlarm(stack, jsii.String("ProductionFailed"), &awscloudwatch.AlarmProps{
		AlarmName:        jsii.String(productionFailedPrefix + s.Name),
		AlarmDescription: jsii.String(s.Name + ": in ALARM while the last production deployment failed, OK again after the next successful one"),
		Metric: awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(metricNamespace), MetricName: jsii.String(productionFailedMetric),
			DimensionsMap: &map[string]*string{"Service": jsii.String(s.Name)},
			Period:        awscdk.Duration_Minutes(jsii.Number(1)), Statistic: jsii.String("Maximum"),
		}),
		Threshold: jsii.Number(1), ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		EvaluationPeriods: jsii.Number(1), TreatMissingData: awscloudwatch.TreatMissingData_IGNORE,
	})
	serviceDashboard(stack, s, failed)
}

// deploymentAlarmNames are the names of the alarms that guard an environment's deployments, as
// the service stack creates them.
func deploymentAlarmNames(s *Service, env *Environment) []string {
	defaults := []string{"errors", "throttles", "p99-duration"}
	if s.Container != nil {
		defaults = []string{"target-5xx-blue", "unhealthy-blue", "target-5xx-green", "unhealthy-green", "alb-5xx", "p99-latency"}
	}
	var out []string
	for _, a := range defaults {
		out = append(out, s.Name+"-"+env.Name+"-"+a)
	}
	for _, c := range env.Alarms.Custom {
		out = append(out, s.Name+"-"+env.Name+"-"+c.Name)
	}
	return out
}

func queryWidget(title, query string, view awscloudwatch.LogQueryVisualizationType, width, height float64) awscloudwatch.IWidget {
	return awscloudwatch.NewLogQueryWidget(&awscloudwatch.LogQueryWidgetProps{
		Title: jsii.String(title), LogGroupNames: jsii.Strings(eventsLogGroup), QueryString: jsii.String(query),
		View: view, Width: jsii.Number(width), Height: jsii.Number(height),
	})
}

func alarmsWidget(stack awscdk.Stack, id, title string, names []string, width, height float64) awscloudwatch.IWidget {
	alarms := make([]interfacesawscloudwatch.IAlarmRef, len(names))
	for i, n := range names {
		alarms[i] = awscloudwatch.Alarm_FromAlarmName(stack, jsii.String(fmt.Sprintf("%s%d", id, i+1)), jsii.String(n))
	}
	return awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
		Title: jsii.String(title), Alarms: &alarms, Width: jsii.Number(width), Height: jsii.Number(height),
	})
}

func textWidget(markdown string) awscloudwatch.IWidget {
	return awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{Markdown: jsii.String(markdown), Width: jsii.Number(24), Height: jsii.Number(3)})
}

const figuresHelp = "Over the time range on display, from the events in `" + eventsLogGroup + "`. " +
	"**Deployment frequency**: successful Production stages. **Lead time**: pipeline execution start to its Production success. " +
	"**Change failure rate**: failed Production stages over all finished ones. **Time to restore**: a failed production deployment to the next successful one."

// serviceDashboard shows the service's delivery figures, its production deployments, each
// environment's deployment alarms and last deployment.
func serviceDashboard(stack awscdk.Stack, s *Service, productionFailed awscloudwatch.IAlarm) {
	names := []string{s.Name}
	var groups []string
	health := []awscloudwatch.IWidget{}
	for i := range s.Environments {
		env := &s.Environments[i]
		groups = append(groups, s.Name+"-"+env.Name)
		health = append(health, alarmsWidget(stack, strings.ToUpper(env.Name[:1])+env.Name[1:]+"Alarm",
			env.Name+" alarms (stop and roll back a deployment)", deploymentAlarmNames(s, env), 7, 6))
	}
	health = append(health,
		awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
			Title:  jsii.String("Production failed (until the next success)"),
			Alarms: &[]interfacesawscloudwatch.IAlarmRef{productionFailed}, Width: jsii.Number(4), Height: jsii.Number(6),
		}),
		queryWidget("Last deployment per environment (CodeDeploy)", lastDeploymentQuery(groups), awscloudwatch.LogQueryVisualizationType_TABLE, 6, 6))
	table := awscloudwatch.LogQueryVisualizationType_TABLE
	awscloudwatch.NewDashboard(stack, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DashboardName:   jsii.String(s.Name + "-delivery"),
		DefaultInterval: awscdk.Duration_Days(jsii.Number(30)),
		Widgets: &[]*[]awscloudwatch.IWidget{
			{textWidget("# " + s.Name + ": delivery\n" + figuresHelp)},
			{
				queryWidget("Deployment frequency", frequencyQuery(names), table, 6, 5),
				queryWidget("Lead time for changes (minutes)", leadTimeQuery(names), table, 6, 5),
				queryWidget("Change failure rate", failureRateQuery(names), table, 6, 5),
				queryWidget("Time to restore (minutes)", restoreQuery(names), table, 6, 5),
			},
			{
				queryWidget("Production deployments per day", perDayQuery(names), awscloudwatch.LogQueryVisualizationType_BAR, 12, 6),
				queryWidget("Latest production deployments", outcomesQuery(names), table, 12, 6),
			},
			&health,
		},
	})
}

// overviewDashboard shows every service's delivery figures, production deployments per day,
// last production deployment and production-failed alarm; lists too long for one query or one
// alarm widget are split.
func overviewDashboard(stack awscdk.Stack, services []Service) {
	names := make([]string, len(services))
	production := make([]string, len(services))
	for i := range services {
		names[i], production[i] = services[i].Name, services[i].Name+"-production"
	}
	sort.Strings(names)
	sort.Strings(production)
	title := func(t string, i, n int) string {
		if n == 1 {
			return t
		}
		return fmt.Sprintf("%s (%d/%d)", t, i+1, n)
	}
	table := awscloudwatch.LogQueryVisualizationType_TABLE
	var figures []awscloudwatch.IWidget
	for _, f := range []struct {
		title string
		query func([]string) string
	}{
		{"Deployment frequency", frequencyQuery}, {"Lead time for changes (minutes)", leadTimeQuery},
		{"Change failure rate", failureRateQuery}, {"Time to restore (minutes)", restoreQuery},
	} {
		parts := chunks(names, f.query)
		for i, p := range parts {
			figures = append(figures, queryWidget(title(f.title, i, len(parts)), f.query(p), table, 6, 8))
		}
	}
	var perDay []awscloudwatch.IWidget
	parts := chunks(names, perDayQuery)
	for i, p := range parts {
		perDay = append(perDay, queryWidget(title("Production deployments per day", i, len(parts)), perDayQuery(p), awscloudwatch.LogQueryVisualizationType_BAR, 12, 6))
	}
	parts = chunks(production, lastDeploymentQuery)
	for i, p := range parts {
		perDay = append(perDay, queryWidget(title("Last production deployment (CodeDeploy)", i, len(parts)), lastDeploymentQuery(p), table, 12, 6))
	}
	var alarms []awscloudwatch.IWidget
	n := (len(names) + maxAlarmsPerWidget - 1) / maxAlarmsPerWidget
	for i := 0; i < len(names); i += maxAlarmsPerWidget {
		var chunk []string
		for _, name := range names[i:min(i+maxAlarmsPerWidget, len(names))] {
			chunk = append(chunk, productionFailedPrefix+name)
		}
		k := i / maxAlarmsPerWidget
		alarms = append(alarms, alarmsWidget(stack, fmt.Sprintf("ProductionFailed%d_", k+1), title("Production failed (until the next success)", k, n), chunk, 24, 4))
	}
	awscloudwatch.NewDashboard(stack, jsii.String("Overview"), &awscloudwatch.DashboardProps{
		DashboardName:   jsii.String("golden-pipelines-overview"),
		DefaultInterval: awscdk.Duration_Days(jsii.Number(30)),
		Widgets: &[]*[]awscloudwatch.IWidget{
			{textWidget("# Golden pipelines: delivery of every service\n" + figuresHelp)}, &figures, &perDay, &alarms,
		},
	})
}

// chunks splits names into consecutive groups whose query stays within what Logs Insights runs
// (with the "SOURCE '<log group>' | " a dashboard widget puts in front). Each query names its
// list once, so a name adds its quoted length and a separator.
func chunks(names []string, query func([]string) string) [][]string {
	limit := maxQueryLength - len("SOURCE '"+eventsLogGroup+"' | ")
	empty := len(query(nil))
	var out [][]string
	start, length := 0, empty
	for i, n := range names {
		add := len(query([]string{n})) - empty
		if i > start {
			add += len(", ")
		}
		if i > start && length+add > limit {
			out = append(out, names[start:i])
			start, length, add = i, empty, add-len(", ")
		}
		length += add
	}
	if start < len(names) {
		out = append(out, names[start:])
	}
	return out
}

// The Logs Insights queries over the events log group (each log event is an EventBridge event).

const stageFields = "fields `detail-type` as type, detail.pipeline as service, detail.stage as stage, detail.state as state"

func quoted(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func productionStage(states string, services []string) string {
	return fmt.Sprintf(`filter type = %q and stage = "Production" and state in %s and service in %s`, stageExecutionEvent, states, quoted(services))
}

func frequencyQuery(services []string) string {
	return strings.Join([]string{stageFields, productionStage(`["SUCCEEDED"]`, services),
		"stats count(*) as productionDeployments by service"}, "\n| ")
}

func perDayQuery(services []string) string {
	return strings.Join([]string{stageFields, productionStage(`["SUCCEEDED"]`, services),
		"stats count(*) as productionDeployments by bin(1d)"}, "\n| ")
}

func leadTimeQuery(services []string) string {
	return strings.Join([]string{
		stageFields + ", `detail.execution-id` as execution, toMillis(@timestamp) as t",
		fmt.Sprintf(`filter service in %s and ((type = %q and state = "STARTED") or (type = %q and stage = "Production" and state = "SUCCEEDED"))`,
			quoted(services), pipelineExecutionEvent, stageExecutionEvent),
		"stats count(*) as events, (max(t) - min(t)) / 60000 as leadTimeMinutes by service, execution",
		"filter events = 2",
		"stats count(*) as releasedChanges, avg(leadTimeMinutes) as meanMinutes, pct(leadTimeMinutes, 50) as medianMinutes, max(leadTimeMinutes) as longestMinutes by service",
	}, "\n| ")
}

func failureRateQuery(services []string) string {
	return strings.Join([]string{stageFields, productionStage(`["SUCCEEDED", "FAILED"]`, services),
		`stats count(*) as productionDeployments, sum(strcontains(state, "FAILED")) as failed, 100 * sum(strcontains(state, "FAILED")) / count(*) as changeFailureRatePercent by service`,
	}, "\n| ")
}

func restoreQuery(services []string) string {
	alarms := make([]string, len(services))
	for i, s := range services {
		alarms[i] = productionFailedPrefix + s
	}
	const format = "yyyy-MM-dd'T'HH:mm:ss.SSSZ"
	return strings.Join([]string{
		fmt.Sprintf("fields `detail-type` as type, detail.alarmName as alarm, replace(detail.alarmName, %q, \"\") as service, "+
			"detail.previousState.value as previous, detail.state.value as state, "+
			"(parseDate(detail.state.timestamp, %q) - parseDate(detail.previousState.timestamp, %q)) / 60000 as minutesToRestore",
			productionFailedPrefix, format, format),
		fmt.Sprintf(`filter type = %q and alarm in %s and previous = "ALARM" and state = "OK"`, alarmStateEvent, quoted(alarms)),
		"stats count(*) as restores, avg(minutesToRestore) as meanMinutes, pct(minutesToRestore, 50) as medianMinutes, max(minutesToRestore) as longestMinutes by service",
	}, "\n| ")
}

func outcomesQuery(services []string) string {
	return strings.Join([]string{stageFields + ", `detail.execution-id` as execution", productionStage(`["SUCCEEDED", "FAILED"]`, services),
		"sort @timestamp desc", "limit 20", "display @timestamp, service, state, execution"}, "\n| ")
}

func lastDeploymentQuery(groups []string) string {
	return strings.Join([]string{
		"fields `detail-type` as type, detail.deploymentGroup as deploymentGroup, detail.deploymentId as deployment, detail.state as state",
		fmt.Sprintf("filter type = %q and deploymentGroup in %s", deploymentEvent, quoted(groups)),
		"stats latest(state) as lastState, latest(deployment) as lastDeployment, max(@timestamp) as lastChange by deploymentGroup",
	}, "\n| ")
}
