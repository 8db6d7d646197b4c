package spec

import (
	"strings"
	"testing"
	"time"
)

func TestSafetyDefaultsFollowTheRole(t *testing.T) {
	s := minimal().WithDefaults()
	staging, production := s.Stages[0].Safety, s.Stages[1].Safety
	if *staging.AlarmGate || *staging.BakeMinutes != 0 || staging.OnFailure != OnFailureRetry {
		t.Errorf("pre-production defaults: gate %v, bake %d, onFailure %q; want false, 0, retry", *staging.AlarmGate, *staging.BakeMinutes, staging.OnFailure)
	}
	if !*production.AlarmGate || *production.BakeMinutes != DefaultProductionBakeMinutes || production.OnFailure != OnFailureRollback {
		t.Errorf("production defaults: gate %v, bake %d, onFailure %q; want true, %d, rollback", *production.AlarmGate, *production.BakeMinutes, production.OnFailure, DefaultProductionBakeMinutes)
	}
	if got := s.Stages[1].WatchedAlarms(&s); strings.Join(got, ",") != "orders-production-health" {
		t.Errorf("production watches %v, want its health alarm", got)
	}
	w := minimal()
	w.Production.Safety.Windows = []Window{{Cron: "* * 9-16 ? * MON-THU *"}}
	if tz := w.WithDefaults().Stages[1].Safety.Windows[0].TimeZone; tz != "UTC" {
		t.Errorf("a window's time zone defaults to %q, want UTC (DeploymentWindow's default)", tz)
	}
}

// Nonsense is refused on its field, with a fix: a bake with no alarms, a production stage
// that does not bake without saying why, a retry of a baking stage, windows that never open.
func TestSafetyRefusesNonsense(t *testing.T) {
	zero, no := 0, false
	cases := []struct {
		name, field, what string
		set               func(s *Service)
	}{
		{"bake with no alarms", "production.safety.bakeMinutes", "does not watch its targets' alarms", func(s *Service) {
			s.Production.Safety.WatchTargetAlarms = &no
			s.Production.Safety.AlarmGate = &no
		}},
		{"gate with no alarms", "production.safety.alarmGate", "watches no alarms", func(s *Service) {
			s.Production.Safety = Safety{WatchTargetAlarms: &no, BakeMinutes: &zero, NoBakeReason: "x"}
		}},
		{"production without a bake or a reason", "production.safety.bakeMinutes", "would not be watched", func(s *Service) {
			s.Production.Safety.BakeMinutes = &zero
		}},
		{"a reason beside a bake", "production.safety.noBakeReason", "the stage bakes for 30 minutes", func(s *Service) {
			s.Production.Safety.NoBakeReason = "fast"
		}},
		{"retry after a bake", "production.safety.onFailure", "would deploy again", func(s *Service) {
			s.Production.Safety.OnFailure = "retry"
		}},
		{"unknown result", "staging.safety.onFailure", `"rollbak" is not a result on failure`, func(s *Service) {
			s.Staging.Safety.OnFailure = "rollbak"
		}},
		{"bake too long", "production.safety.bakeMinutes", "181 minutes is out of range", func(s *Service) {
			b := 181
			s.Production.Safety.BakeMinutes = &b
		}},
		{"February 30th", "production.safety.windows", "never opens", func(s *Service) {
			s.Production.Safety.Windows = []Window{{Cron: "* * 9-17 30 FEB ? *"}}
		}},
		{"a year that has passed", "production.safety.windows", "never opens", func(s *Service) {
			s.Production.Safety.Windows = []Window{{Cron: "* * * ? * * 2020"}}
		}},
		{"windows never open together", "production.safety.windows", "are never open together", func(s *Service) {
			s.Production.Safety.Windows = []Window{{Cron: "* * 9-11 ? * MON-FRI *"}, {Cron: "* * 14-16 ? * MON-FRI *"}}
		}},
		{"six fields short", "production.safety.windows[0].cron", "has 5 fields", func(s *Service) {
			s.Production.Safety.Windows = []Window{{Cron: "* 9-17 ? * MON-FRI"}}
		}},
		{"both days", "production.safety.windows[0].cron", "one of them must be '?'", func(s *Service) {
			s.Production.Safety.Windows = []Window{{Cron: "* * 9-17 1 * MON *"}}
		}},
		{"hour 24", "production.safety.windows[0].cron", `"24" is not a hours value`, func(s *Service) {
			s.Production.Safety.Windows = []Window{{Cron: "* * 9-24 ? * MON *"}}
		}},
		{"abbreviated time zone", "production.safety.windows[0].timeZone", `"IST" is not a time zone name`, func(s *Service) {
			s.Production.Safety.Windows = []Window{{Cron: "* * 9-17 ? * MON *", TimeZone: "IST"}}
		}},
		{"a bake that watches only gate alarms", "production.safety.bakeMinutes", "does not watch its targets' alarms", func(s *Service) {
			s.Production.Safety.WatchTargetAlarms = &no
			s.Production.Safety.GateAlarms = []string{"platform-incident"}
		}},
		{"canary path on Lambda", "production.safety.canary.path", "is for container services", func(s *Service) {
			s.Production.Safety.Canary.Path = "/orders"
		}},
		{"canary against a low 5xx threshold", "production.alarms.loadBalancer5xxThreshold", "answers the canary's 2 test-listener call(s)", func(s *Service) {
			*s = Service{Name: "catalog", Container: &Container{}, Build: Build{Test: []string{"make test"}}}
			s.Production.Safety.Canary.Path = "/items"
			s.Production.Alarms.LoadBalancer5xxThreshold = 2
		}},
		{"W of WED is no W form", "production.safety.windows", "never opens", func(s *Service) {
			s.Production.Safety.Windows = []Window{{Cron: "* * 9-16 ? FEB WED 2020"}}
		}},
		{"custom alarm named health", "production.alarms.custom[0].name", "used twice (or by a default alarm)", func(s *Service) {
			one := 1.0
			s.Production.Alarms.Custom = []CustomAlarm{{Name: "health", MetricName: "X", Threshold: &one}}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := minimal()
			c.set(&s)
			err := s.WithDefaults().Validate()
			if !hasProblem(err, c.field) || !strings.Contains(err.Error(), c.what) {
				t.Errorf("want a problem on %s saying %q, got: %v", c.field, c.what, err)
			}
		})
	}
}

// A wave's conditions hold at most 5 rules (CodePipeline API Reference, Condition.rules:
// "Maximum number of 5 items"): one per watched alarm and target, and one per window.
func TestSafetyKeepsConditionsWithinFiveRules(t *testing.T) {
	s := everyStaged()
	s.Stages[1].Waves[1].Targets = append(s.Stages[1].Waves[1].Targets,
		Target{Account: "333333333333", Region: "us-east-1"}, Target{Account: "333333333333", Region: "us-west-2"})
	s.Stages[1].Safety.GateAlarms = []string{"platform-incident"}
	err := s.WithDefaults().Validate()
	if !hasProblem(err, "stages[1].safety (wave us)") || !strings.Contains(err.Error(), "needs 8 rules before a wave of 4 targets") {
		t.Errorf("a wave of 4 targets watching 2 alarms each was not refused: %v", err)
	}
	s.Stages[1].Safety.GateAlarms = nil
	if err := s.WithDefaults().Validate(); err != nil {
		t.Errorf("a wave of 4 targets watching 1 alarm each was refused: %v", err)
	}
}

func TestWindowsOpenAtTheRightTime(t *testing.T) {
	start := time.Date(2026, 11, 29, 22, 0, 0, 0, time.UTC) // a Sunday
	berlin, _ := location("Europe/Berlin")
	sched, err := parseCron("* * 9-16 ? * MON-THU *")
	if err != nil {
		t.Fatal(err)
	}
	sched.loc = berlin
	got, ok := firstOpening([]*schedule{sched}, start)
	// Monday 30 November, 9:00 in Berlin is 8:00 UTC (CET, UTC+1).
	if want := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC); !ok || !got.Equal(want) {
		t.Errorf("first opening %v (%v), want %v", got, ok, want)
	}
	india, _ := location("UTC+05:30")
	late, _ := parseCron("0 30 23 ? * * *")
	late.loc = india
	if got, _ := firstOpening([]*schedule{late}, start); !got.Equal(time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC)) {
		t.Errorf("23:30 at UTC+05:30 opens at %v, want 18:00 UTC", got)
	}
}
