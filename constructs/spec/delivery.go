package spec

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// DeliveryStages are the pipeline stages the delivery figures (the metric filters, the
// dashboards' queries) read, by their stage's role, never by their name: Production, every
// pipeline stage that deploys to a production stage's targets (a wave each); Released, the
// pipeline stages whose success completes a release (each service's last: the last wave of its
// last stage, which validation keeps a production one).
type DeliveryStages struct{ Production, Released []string }

// DeliveryStagesOf reads the DeliveryStages of the services, sorted and each named once.
func DeliveryStagesOf(services []Service) DeliveryStages {
	production, released := map[string]bool{}, map[string]bool{}
	for _, s := range services {
		for i, st := range s.Stages {
			names := st.PipelineStageNames()
			if st.IsProduction() {
				for _, n := range names {
					production[n] = true
				}
			}
			if i == len(s.Stages)-1 {
				released[names[len(names)-1]] = true
			}
		}
	}
	return DeliveryStages{Production: slices.Sorted(maps.Keys(production)), Released: slices.Sorted(maps.Keys(released))}
}

// MaxFilterPatternLength is the longest metric filter pattern CloudWatch Logs accepts
// (PutMetricFilter's filterPattern: "Length Constraints: Maximum length of 1024", CloudWatch
// Logs API Reference).
const MaxFilterPatternLength = 1024

// OutcomePattern is the metric filter pattern of a production outcome in the delivery events:
// a release completed (state SUCCEEDED, stages Released, a stage event: no detail.action), or a
// change failed in production (state FAILED, stages Production, an action event: an action
// ran and failed). A wave that its alarm gate or its window kept from starting fails its
// stage without running an action: it is not a failed change. The events log group holds
// pipeline, stage and action events.
func OutcomePattern(stages []string, state string) string {
	names := make([]string, len(stages))
	for i, n := range stages {
		names[i] = fmt.Sprintf("($.detail.stage = %q)", n)
	}
	stage := strings.Join(names, " || ")
	if len(names) > 1 {
		stage = "(" + stage + ")"
	}
	// "*" matches any value, so the field exists (the CDK's FilterPattern.exists writes it so).
	kind := "($.detail.action NOT EXISTS)"
	if state == "FAILED" {
		kind = `($.detail.action = "*")`
	}
	return fmt.Sprintf(`{ ($.source = "aws.codepipeline") && %s && %s && ($.detail.state = %q) }`, kind, stage, state)
}

// outcomePatternProblems reports the service whose production stages, added to those of the
// services before it, make a metric filter pattern longer than MaxFilterPatternLength.
func outcomePatternProblems(services []Service) Problems {
	for i, s := range services {
		st := DeliveryStagesOf(services[:i+1])
		for _, c := range []struct {
			names []string
			state string
		}{{st.Production, "FAILED"}, {st.Released, "SUCCEEDED"}} {
			if n := len(OutcomePattern(c.names, c.state)); n > MaxFilterPatternLength {
				return Problems{{Service: s.Name, Field: s.StageField(len(s.Stages)-1) + ".name", What: fmt.Sprintf(
					"with the services before it, the app's production pipeline stages have %d different names, which make a metric filter pattern of %d characters; CloudWatch Logs allows %d",
					len(c.names), n, MaxFilterPatternLength),
					Fix: "name the production stages (and their waves) alike across services, e.g. production with waves eu and us"}}
			}
		}
	}
	return nil
}
