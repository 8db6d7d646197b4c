package baseline

import (
	"fmt"
	"slices"
	"testing"
)

// The overview dashboard's service lists are split so that every query fits Logs Insights, into
// as few widgets as the greedy split allows, with every service in exactly one part, in order.
func TestChunksKeepEveryQueryWithinTheLimit(t *testing.T) {
	limit := maxQueryLength - len("SOURCE '"+eventsLogGroup+"' | ")
	var names []string
	for i := range 2000 {
		names = append(names, fmt.Sprintf("service-%04d", i))
	}
	for name, query := range map[string]func([]string) string{
		"frequency": frequencyQuery, "lead time": leadTimeQuery, "failure rate": failureRateQuery,
		"restore": restoreQuery, "per day": perDayQuery, "last deployment": lastDeploymentQuery,
	} {
		parts := chunks(names, query)
		if len(parts) < 2 {
			t.Errorf("%s: %d services fit one query of %d characters", name, len(names), len(query(names)))
		}
		var joined []string
		for i, p := range parts {
			if n := len(query(p)); n > limit {
				t.Errorf("%s: part %d is %d characters, more than %d", name, i+1, n, limit)
			}
			if i+1 < len(parts) {
				if n := len(query(append(slices.Clone(p), parts[i+1][0]))); n <= limit {
					t.Errorf("%s: part %d could take the next service (%d characters)", name, i+1, n)
				}
			}
			joined = append(joined, p...)
		}
		if !slices.Equal(joined, names) {
			t.Errorf("%s: the parts do not hold every service once, in order", name)
		}
	}
	if got := chunks([]string{"a"}, frequencyQuery); len(got) != 1 || !slices.Equal(got[0], []string{"a"}) {
		t.Errorf("one service: %v", got)
	}
	if got := chunks(nil, frequencyQuery); len(got) != 0 {
		t.Errorf("no services: %v", got)
	}
}
