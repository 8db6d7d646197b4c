package spec

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

func init() {
	Ranges["Safety.bakeMinutes"] = Range{0, MaxBakeMinutes}
	Ranges["Canary.minimumInvocations"] = Range{0, 1000000}
	for k, r := range map[string]TextRule{
		"Safety.onFailure": enumRule,
		// A reason is read by people in the definition and the docs; it goes nowhere else.
		"Safety.noBakeReason": {Max: 512, By: "this field"},
		// CloudWatch alarm names: 1-255 characters (PutMetricAlarm AlarmName); the rule's
		// AlarmName configuration takes them as they are.
		"Safety.gateAlarms": {Max: 255, By: "CloudWatch", ASCII: true, Valid: notBlank, Is: "an alarm name",
			Fix: "give the alarm's name as CloudWatch shows it", MaxItems: MaxRulesPerCondition, Items: "alarms",
			ItemsWhy: "each is a rule of the wave's conditions, which CodePipeline limits to 5 rules"},
		"Safety.windows": {MaxItems: MaxWindows, Items: "windows",
			ItemsWhy: "each is a rule of the wave's entry condition, which CodePipeline limits to 5 rules"},
		"Window.cron": {Max: 256, By: "this field", ASCII: true, Pattern: cronCharsRE, Is: "a cron expression",
			Fix: `write six or seven fields, e.g. "* * 9-16 ? * MON-THU *"`},
		// The canary calls the path on the service's listeners: a URL path like the health check's.
		"Canary.path": {Max: 1024, By: "this field", Pattern: healthPathRE, Is: "a URL path",
			Fix: `use an absolute path without spaces or a query, e.g. "/orders"`},
		"Window.timeZone": {Max: 64, By: "this field", ASCII: true, Pattern: timeZoneRE, Is: "a time zone",
			Fix: `write an IANA time zone name such as "Europe/Berlin", or "UTC", or "UTC+05:30"`},
	} {
		TextRules[k] = r
	}
}

var (
	cronCharsRE = regexp.MustCompile(`^[A-Za-z0-9*?,/#\- ]+$`)
	timeZoneRE  = regexp.MustCompile(`^[A-Za-z0-9_+:/-]+$`)
)

// validationTime is when the windows' check starts looking for an opening (now; tests fix it).
var validationTime = time.Now

// safety checks a stage's safety block.
func (v *validator) safety(s Service, i int) {
	st, field := s.Stages[i], v.stageField(i)+".safety"
	sf := st.Safety
	if !slices.Contains(OnFailureResults, sf.OnFailure) {
		v.add(field+".onFailure", fmt.Sprintf("%q is not a result on failure", sf.OnFailure),
			`use "rollback", "retry" or "stop"`+DidYouMean(sf.OnFailure, OnFailureResults))
	}
	bake := st.Bake()
	if v.inRange(field+".bakeMinutes", "Safety.bakeMinutes", bake, " minutes") {
		switch {
		case bake == 0 && st.IsProduction() && sf.NoBakeReason == "":
			v.add(field+".bakeMinutes", "is 0 in a production stage: its releases would not be watched after the traffic shift",
				"set a bake (e.g. 30), or say why this stage needs none in noBakeReason")
		case bake > 0 && sf.NoBakeReason != "":
			v.add(field+".noBakeReason", fmt.Sprintf("is set, but the stage bakes for %d minutes", bake), "remove noBakeReason, or set bakeMinutes: 0")
		case bake > 0 && sf.OnFailure == OnFailureRetry:
			v.add(field+".onFailure", "is retry, but the stage bakes: a retry would deploy again the release whose bake fired its alarms",
				`use "rollback" (or "stop")`)
		}
	}
	watched := st.WatchedAlarms(&s)
	// The bake runs inside the deployment, which watches the target's health alarm (the Lambda
	// stack's rollback trigger, the ECS deployment's alarms): without it nothing watches.
	if bake > 0 && sf.WatchTargetAlarms != nil && !*sf.WatchTargetAlarms {
		v.add(field+".bakeMinutes", fmt.Sprintf("is %d, but the stage does not watch its targets' alarms (watchTargetAlarms: false), and the bake watches those", bake),
			"watch the targets' alarms (remove watchTargetAlarms: false), or set bakeMinutes: 0 with a noBakeReason")
	}
	if len(watched) == 0 {
		if st.Gated() {
			v.add(field+".alarmGate", "is true, but the gate watches no alarms (watchTargetAlarms is false and there are no gateAlarms)",
				"watch the targets' alarms, list gateAlarms, or set alarmGate: false")
		}
	}
	v.windows(field+".windows", sf.Windows)
	v.conditionRules(field, st, len(watched))
	v.canary(v.stageField(i), s, st)
}

// windows checks a stage's deployment windows: each a cron expression and a time zone, and all
// of them open together at some time in the next two years.
func (v *validator) windows(field string, windows []Window) {
	var schedules []*schedule
	for i, w := range windows {
		wf := fmt.Sprintf("%s[%d]", field, i)
		if v.covered(wf) {
			continue
		}
		if w.Cron == "" {
			v.add(wf+".cron", "is missing", `write when the window is open, e.g. "* * 9-16 ? * MON-THU *"`)
			continue
		}
		sched, err := parseCron(w.Cron)
		if err != nil {
			v.add(wf+".cron", fmt.Sprintf("%q %v", w.Cron, err),
				"write seconds minutes hours day-of-month month day-of-week [year], e.g. \"* * 9-16 ? * MON-THU *\" (Monday to Thursday, 9:00 to 16:59)")
			continue
		}
		loc, err := location(w.TimeZone)
		if err != nil {
			v.add(wf+".timeZone", err.Error(), `use an IANA name such as "Europe/Berlin" (abbreviations like IST name several zones), "UTC" or "UTC+05:30"`)
			continue
		}
		sched.loc = loc
		schedules = append(schedules, sched)
	}
	if len(schedules) != len(windows) || len(windows) == 0 {
		return
	}
	if _, ok := firstOpening(schedules, validationTime()); !ok {
		what := "never opens"
		if len(windows) > 1 {
			what = "are never open together"
		}
		v.add(field, what+" in the next two years: the stage would wait at its gate forever",
			"check the days and months (e.g. February has no 30th; a year that has passed), or widen a window")
	}
}

// conditionRules checks that each wave's conditions fit CodePipeline's 5 rules a condition:
// the entry condition holds the windows and, with the gate, one rule per watched alarm and
// target; the on-success condition one rule per watched alarm and target.
func (v *validator) conditionRules(field string, st Stage, watched int) {
	for _, wave := range st.WaveList() {
		perTargets := len(wave.Targets) * watched
		entry := len(st.Safety.Windows)
		if st.Gated() {
			entry += perTargets
		}
		where := field
		if len(st.Waves) > 0 {
			where = fmt.Sprintf("%s (wave %s)", field, wave.Name)
		}
		if entry > MaxRulesPerCondition {
			v.add(where, fmt.Sprintf("needs %d rules before a wave of %d targets (%d windows, %d alarms for each target), and CodePipeline allows %d in a condition",
				entry, len(wave.Targets), len(st.Safety.Windows), watched, MaxRulesPerCondition),
				"split the wave into waves of fewer targets, watch fewer alarms, or use fewer windows")
		} else if st.Bake() > 0 && perTargets > MaxRulesPerCondition {
			v.add(where, fmt.Sprintf("needs %d rules after a wave of %d targets (%d alarms for each target), and CodePipeline allows %d in a condition",
				perTargets, len(wave.Targets), watched, MaxRulesPerCondition),
				"split the wave into waves of fewer targets, or watch fewer alarms")
		}
	}
}

// canary checks the stage's canary: a path for a container service, a minimum of invocations
// for a Lambda one. Before the first release the test listener has no tasks, and the load
// balancer answers the canary's calls there with its own 503s, which count in the load
// balancer's 5xx metric (HTTPCode_ELB_5XX_Count has no listener dimension): its alarm must not
// fire on them, or the health alarm would close the gate on the first release.
func (v *validator) canary(stage string, s Service, st Stage) {
	field, c := stage+".safety.canary", st.Safety.Canary
	if s.IsContainer() && c.Path != "" && s.Container != nil {
		calls := 2
		if c.Path == s.Container.HealthCheckPath {
			calls = 1
		}
		if t := st.Alarms.LoadBalancer5xxThreshold; t > 0 && t <= calls {
			v.add(stage+".alarms.loadBalancer5xxThreshold", fmt.Sprintf(
				"is %d, but before the first release the load balancer answers the canary's %d test-listener call(s) a minute with its own 503", t, calls),
				fmt.Sprintf("use %d or more with a canary", calls+1))
		}
	}
	if s.IsContainer() && c.MinimumInvocations != 0 {
		v.add(field+".minimumInvocations", "is for Lambda services", "give the canary a path instead (canary.path: /orders)")
	}
	if !s.IsContainer() && c.Path != "" {
		v.add(field+".path", "is for container services", "set canary.minimumInvocations instead (the invocations a minute the live alias must see)")
	}
	v.inRange(field+".minimumInvocations", "Canary.minimumInvocations", c.MinimumInvocations, " invocations a minute")
}

// reservedAlarmNames adds the names the safety block takes to a stage's alarm names: the
// health alarm's, and its canary's when it has one.
func reservedAlarmNames(names map[string]bool, st Stage) {
	names[HealthAlarm] = true
	if a := st.Safety.Canary.alarm(); a != "" {
		names[strings.ToLower(a)] = true
	}
}
