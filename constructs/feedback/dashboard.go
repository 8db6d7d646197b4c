package feedback

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// DashboardInterval is the time range a dashboard opens with; every figure covers the range on
// display.
const DashboardInterval = 30 // days

// MaxAlarmsPerWidget is how many alarms an alarm status widget shows.
const MaxAlarmsPerWidget = 100

func logWidget(title, query string, view awscloudwatch.LogQueryVisualizationType, width, height float64) awscloudwatch.IWidget {
	return awscloudwatch.NewLogQueryWidget(&awscloudwatch.LogQueryWidgetProps{
		Title:         jsii.String(title),
		LogGroupNames: jsii.Strings(EventsLogGroupName),
		QueryString:   jsii.String(query),
		View:          view,
		Width:         jsii.Number(width),
		Height:        jsii.Number(height),
	})
}

func alarmWidget(scope constructs.Construct, id, title string, names []string, width, height float64) awscloudwatch.IWidget {
	alarms := make([]interfacesawscloudwatch.IAlarmRef, len(names))
	for i, n := range names {
		alarms[i] = awscloudwatch.Alarm_FromAlarmName(scope, jsii.String(fmt.Sprintf("%s%d", id, i+1)), jsii.String(n))
	}
	return awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
		Title: jsii.String(title), Alarms: &alarms, Width: jsii.Number(width), Height: jsii.Number(height),
	})
}

func text(markdown string, height float64) awscloudwatch.IWidget {
	return awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{
		Markdown: jsii.String(markdown), Width: jsii.Number(24), Height: jsii.Number(height),
	})
}

const figuresHelp = "Over the time range on display, from the events in `" + EventsLogGroupName + "`. " +
	"**Deployment frequency**: releases that completed their last production stage. **Lead time**: pipeline execution start (the push) to that completion. " +
	"**Change failure rate**: failed production stages (failed or rolled back) over all production outcomes. " +
	"**Time to restore**: a failed production deployment to the next successful one. How each is computed: docs/feedback.md."

// newServiceDashboard shows one service: its delivery figures, its production deployments, and
// per stage the alarms that guard deployments (of its targets in the pipeline's own account and
// region: an alarm widget shows the dashboard's region) and the last deployment's state in
// every target (from the events every target forwards).
func newServiceDashboard(scope constructs.Construct, svc *spec.Service, productionFailed awscloudwatch.IAlarm) awscloudwatch.Dashboard {
	names, stages := []string{svc.Name}, spec.DeliveryStagesOf([]spec.Service{*svc})
	var groups []string
	health := []awscloudwatch.IWidget{}
	for _, st := range svc.Stages {
		groups = append(groups, svc.DeploymentGroupName(st.Name))
		health = append(health, alarmWidget(scope, strings.ToUpper(st.Name[:1])+st.Name[1:]+"Alarm",
			fmt.Sprintf("%s alarms (stop and roll back a deployment)", st.Name), svc.DeploymentAlarmNames(st.Name), 7, 6))
	}
	health = append(health,
		awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
			Title:  jsii.String("Production failed (until the next success)"),
			Alarms: &[]interfacesawscloudwatch.IAlarmRef{productionFailed}, Width: jsii.Number(4), Height: jsii.Number(6),
		}),
		logWidget("Last deployment per stage (CodeDeploy)", LastDeploymentQuery(groups), awscloudwatch.LogQueryVisualizationType_TABLE, 6, 6))
	return awscloudwatch.NewDashboard(scope, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DashboardName:   jsii.String(svc.DashboardName()),
		DefaultInterval: awscdk.Duration_Days(jsii.Number(DashboardInterval)),
		Widgets: &[]*[]awscloudwatch.IWidget{
			{text(fmt.Sprintf("# %s: delivery\n%s", svc.Name, figuresHelp), 3)},
			{
				logWidget("Deployment frequency", DeploymentFrequencyQuery(names, stages), awscloudwatch.LogQueryVisualizationType_TABLE, 6, 5),
				logWidget("Lead time for changes (minutes)", LeadTimeQuery(names, stages), awscloudwatch.LogQueryVisualizationType_TABLE, 6, 5),
				logWidget("Change failure rate", ChangeFailureRateQuery(names, stages), awscloudwatch.LogQueryVisualizationType_TABLE, 6, 5),
				logWidget("Time to restore (minutes)", TimeToRestoreQuery(names, stages), awscloudwatch.LogQueryVisualizationType_TABLE, 6, 5),
			},
			{
				logWidget("Production deployments per day", DeploymentsPerDayQuery(names, stages), awscloudwatch.LogQueryVisualizationType_BAR, 9, 6),
				logWidget("Latest production deployments", ProductionOutcomesQuery(names, stages), awscloudwatch.LogQueryVisualizationType_TABLE, 9, 6),
				logWidget("Production waves blocked at the gate", BlockedAtTheGateQuery(names, stages), awscloudwatch.LogQueryVisualizationType_TABLE, 6, 6),
			},
			&health,
		},
	})
}

// newOverviewDashboard shows every service: the delivery figures per service, the production
// deployments per day, each production's last deployment and production-failed alarm. Long
// service lists are split so that no query exceeds what Logs Insights runs.
func newOverviewDashboard(scope constructs.Construct, services []spec.Service) awscloudwatch.Dashboard {
	names, stages := serviceNames(services), spec.DeliveryStagesOf(services)
	rows := []*[]awscloudwatch.IWidget{{text("# Golden pipelines: delivery of every service\n"+figuresHelp, 3)}}
	part := func(title string, i, n int) string {
		if n == 1 {
			return title
		}
		return fmt.Sprintf("%s (%d/%d)", title, i+1, n)
	}
	figures := []struct {
		title string
		query func([]string, Stages) string
	}{
		{"Deployment frequency", DeploymentFrequencyQuery},
		{"Lead time for changes (minutes)", LeadTimeQuery},
		{"Change failure rate", ChangeFailureRateQuery},
		{"Time to restore (minutes)", TimeToRestoreQuery},
	}
	var row []awscloudwatch.IWidget
	for _, fig := range figures {
		query := func(c []string) string { return fig.query(c, stages) }
		chunks := Split(names, query)
		for i, c := range chunks {
			row = append(row, logWidget(part(fig.title, i, len(chunks)), query(c), awscloudwatch.LogQueryVisualizationType_TABLE, 6, 8))
		}
	}
	rows = append(rows, &row)
	perDay := []awscloudwatch.IWidget{}
	perDayQuery := func(c []string) string { return DeploymentsPerDayQuery(c, stages) }
	dayChunks := Split(names, perDayQuery)
	for i, c := range dayChunks {
		perDay = append(perDay, logWidget(part("Production deployments per day", i, len(dayChunks)),
			perDayQuery(c), awscloudwatch.LogQueryVisualizationType_BAR, 12, 6))
	}
	var production []string
	for i := range services {
		for _, st := range services[i].Stages {
			if st.IsProduction() {
				production = append(production, services[i].DeploymentGroupName(st.Name))
			}
		}
	}
	sort.Strings(production)
	lastChunks := Split(production, LastDeploymentQuery)
	for i, c := range lastChunks {
		perDay = append(perDay, logWidget(part("Last production deployment (CodeDeploy)", i, len(lastChunks)), LastDeploymentQuery(c),
			awscloudwatch.LogQueryVisualizationType_TABLE, 12, 6))
	}
	rows = append(rows, &perDay)
	var alarms []string
	for _, n := range names {
		alarms = append(alarms, (&spec.Service{Name: n}).ProductionFailedAlarmName())
	}
	var alarmRow []awscloudwatch.IWidget
	for i := 0; i < len(alarms); i += MaxAlarmsPerWidget {
		end := min(i+MaxAlarmsPerWidget, len(alarms))
		alarmRow = append(alarmRow, alarmWidget(scope, fmt.Sprintf("ProductionFailed%d_", i/MaxAlarmsPerWidget+1),
			part("Production failed (until the next success)", i/MaxAlarmsPerWidget, (len(alarms)+MaxAlarmsPerWidget-1)/MaxAlarmsPerWidget),
			alarms[i:end], 24, 4))
	}
	rows = append(rows, &alarmRow)
	return awscloudwatch.NewDashboard(scope, jsii.String("Overview"), &awscloudwatch.DashboardProps{
		DashboardName:   jsii.String(OverviewDashboardName),
		DefaultInterval: awscdk.Duration_Days(jsii.Number(DashboardInterval)),
		Widgets:         &rows,
	})
}
