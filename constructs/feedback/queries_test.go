package feedback

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// The app must scale to 200 services: the overview splits their names so that every query stays
// within what Logs Insights runs, and loses no service.
func TestSplitKeepsEveryQueryWithinTheLimit(t *testing.T) {
	var names []string
	for i := range 200 {
		names = append(names, fmt.Sprintf("service-with-a-long-name-%03d", i)) // 28 characters, the longest name
	}
	// Every service with production in two waves and two regions: the longest stage lists.
	stages := Stages{Production: []string{"Production-wave1", "Production-wave2"}, Released: []string{"Production-wave2"}}
	with := func(q func([]string, Stages) string) func([]string) string {
		return func(names []string) string { return q(names, stages) }
	}
	for name, query := range map[string]func([]string) string{
		"deployment frequency": with(DeploymentFrequencyQuery), "deployments per day": with(DeploymentsPerDayQuery),
		"lead time": with(LeadTimeQuery), "change failure rate": with(ChangeFailureRateQuery), "time to restore": with(TimeToRestoreQuery),
		"outcomes": with(ProductionOutcomesQuery), "last deployment": LastDeploymentQuery, "blocked at the gate": with(BlockedAtTheGateQuery),
	} {
		chunks := Split(names, query)
		var all []string
		for _, c := range chunks {
			if l := len("SOURCE '" + EventsLogGroupName + "' | " + query(c)); l > MaxQueryLength {
				t.Errorf("%s: a query of %d characters", name, l)
			}
			all = append(all, c...)
		}
		if !slices.Equal(all, names) {
			t.Errorf("%s: the chunks lose or reorder services", name)
		}
		if len(chunks) > 3 {
			t.Errorf("%s: %d chunks for 200 services, the groups are too small", name, len(chunks))
		}
	}
	if got := Split([]string{"a", "b"}, with(LeadTimeQuery)); len(got) != 1 {
		t.Errorf("two services split into %v", got)
	}
}

// Every query names the services it covers exactly, as a Logs Insights list.
func TestQueriesNameTheirServices(t *testing.T) {
	q := ChangeFailureRateQuery([]string{"orders", "payments"}, Stages{Production: []string{"Production"}, Released: []string{"Production"}})
	if !strings.Contains(q, `service in ["orders", "payments"]`) {
		t.Errorf("query does not list the services:\n%s", q)
	}
	if q := TimeToRestoreQuery([]string{"orders"}, Stages{}); !strings.Contains(q, `alarm in ["golden-pipelines.production-failed.orders"]`) {
		t.Errorf("time to restore does not name the service's alarm:\n%s", q)
	}
	if q := LastDeploymentQuery([]string{"orders-staging"}); !strings.Contains(q, `deploymentGroup in ["orders-staging"]`) {
		t.Errorf("last deployment does not name the deployment group:\n%s", q)
	}
}

// A wave its gate or window kept from starting fails its stage without running an action: the
// change failure rate counts a production stage that failed after an action of it ran (once per
// execution and stage), and the blocked waves are counted on their own.
func TestABlockedGateIsNoFailedChange(t *testing.T) {
	st := Stages{Production: []string{"Production"}, Released: []string{"Production"}}
	cfr := ChangeFailureRateQuery([]string{"orders"}, st)
	for _, want := range []string{
		`(type = "CodePipeline Stage Execution State Change" and state = "FAILED") or (type = "CodePipeline Action Execution State Change" and state = "STARTED")`,
		"by service, execution, stage",
		"filter released = 1 or (failed = 1 and ran = 1)",
	} {
		if !strings.Contains(cfr, want) {
			t.Errorf("change failure rate lacks %s:\n%s", want, cfr)
		}
	}
	blocked := BlockedAtTheGateQuery([]string{"orders"}, st)
	if !strings.Contains(blocked, "filter failed > 0 and started = 0") {
		t.Errorf("blocked waves:\n%s", blocked)
	}
}
