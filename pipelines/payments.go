package pipelines

import "github.com/golden-pipelines/microservice-pipelines/constructs/spec"

// Payments is a Python service without hooks: staging takes a custom canary, production a
// linear shift, and production follows staging without a manual approval.
func Payments() spec.Service {
	manualApproval := false
	return spec.Service{
		Name:       "payments",
		Repository: "payments-service",
		Branch:     "release",
		Lambda: spec.Lambda{
			Runtime: "python3.13",
			Handler: "app.handler",
		},
		ManualApproval: &manualApproval,
		Staging: spec.Environment{
			Deployment: spec.Deployment{Custom: &spec.CustomDeployment{Type: "canary", Percentage: 50, IntervalMinutes: 2}},
		},
		Production: spec.Environment{
			Deployment: spec.Deployment{Config: "Linear10PercentEvery2Minutes"},
			Alarms: spec.Alarms{
				ErrorsThreshold: 3,
				Custom: []spec.CustomAlarm{{
					Name:       "concurrency",
					MetricName: "ConcurrentExecutions",
					Statistic:  "Maximum",
					Threshold:  ptr(200.0),
				}},
			},
		},
		LogRetentionDays: 90,
	}
}
