package pipelines

import "github.com/golden-pipelines/microservice-pipelines/constructs/spec"

// Orders is a Node.js service released with the production default (Canary10Percent5Minutes)
// behind a manual approval, with traffic hooks, integration tests and an alarm of its own.
func Orders() spec.Service {
	return spec.Service{
		Name: "orders",
		Lambda: spec.Lambda{
			Runtime:        "nodejs22.x",
			Handler:        "index.handler",
			MemoryMiB:      512,
			TimeoutSeconds: 6,
			Environment:    map[string]string{"LOG_LEVEL": "info", "TABLE_PREFIX": "orders"},
		},
		Build: spec.Build{
			Test: []string{"npm test -- --reporter=junit --reporter-option output=reports/junit.xml"},
		},
		IntegrationTest: spec.IntegrationTest{
			Install:  []string{"npm ci"},
			Commands: []string{"npm run test:integration"},
		},
		Staging: spec.Environment{
			Hooks: spec.Hooks{PreTraffic: "hooks.preTraffic"},
		},
		Production: spec.Environment{
			Hooks: spec.Hooks{PreTraffic: "hooks.preTraffic", PostTraffic: "hooks.postTraffic"},
			Alarms: spec.Alarms{
				Custom: []spec.CustomAlarm{{
					Name:       "failed-orders",
					Namespace:  "Orders",
					MetricName: "FailedOrders",
					Dimensions: map[string]string{"Environment": "production"},
					Threshold:  ptr(5.0),
				}},
			},
		},
	}
}

func ptr[T any](v T) *T { return &v }
