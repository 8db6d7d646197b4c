package spec

// Safety is what protects a stage beyond the minutes of its traffic shift: CodePipeline stage
// conditions on each of its waves (an alarm gate and deployment windows before entry, a bake
// after success, a rollback or a retry after failure) and, on its targets, a canary that gives
// the shift traffic to judge.
type Safety struct {
	// AlarmGate: a wave of the stage does not start while one of the alarms it watches (its
	// targets' health alarms, and GateAlarms) is in ALARM; the execution fails at the gate,
	// before anything is deployed. Default: true in a production stage, false otherwise.
	AlarmGate *bool `json:"alarmGate,omitempty" yaml:"alarmGate,omitempty"`
	// GateAlarms are further alarms the gate and the bake watch, by name, in each target's
	// account and region: alarms the platform team keeps there (an incident switch, a
	// dependency's health). The app adds its platform-wide list (cdk.json context
	// golden-pipelines:gateAlarms) to every gated or baking stage's.
	GateAlarms []string `json:"gateAlarms,omitempty" yaml:"gateAlarms,omitempty"`
	// WatchTargetAlarms: the gate and the bake watch each target's health alarm (<service>-
	// <stage>-health, any of the target's deployment alarms in ALARM). Default: true.
	WatchTargetAlarms *bool `json:"watchTargetAlarms,omitempty" yaml:"watchTargetAlarms,omitempty"`
	// BakeMinutes: after a wave's deployments succeed, the wave watches its alarms this long
	// and rolls back to the last release that succeeded there if one fires. Default: 30 in a
	// production stage, 0 (no bake) otherwise. A production stage that sets 0 says why in
	// NoBakeReason.
	BakeMinutes *int `json:"bakeMinutes,omitempty" yaml:"bakeMinutes,omitempty"`
	// NoBakeReason acknowledges a production stage without a bake (bakeMinutes: 0): why its
	// releases need no watch after the shift.
	NoBakeReason string `json:"noBakeReason,omitempty" yaml:"noBakeReason,omitempty"`
	// Windows a wave of the stage may start in: it waits (at the gate) until every window is
	// open. A freeze is a window that excludes it (a month, days, hours).
	Windows []Window `json:"windows,omitempty" yaml:"windows,omitempty"`
	// OnFailure: what a wave of the stage does when it fails: "rollback" redeploys the last
	// release that succeeded in it (through the same deploy steps: CodeDeploy, its alarms and
	// hooks); "retry" runs the failed actions again, once (CodePipeline's one automatic retry);
	// "stop" leaves the failed execution for a person. Default: "rollback" in a production
	// stage, "retry" otherwise.
	OnFailure string `json:"onFailure,omitempty" yaml:"onFailure,omitempty"`
	// Canary makes a deployment prove it had traffic to judge.
	Canary Canary `json:"canary,omitempty" yaml:"canary,omitempty"`
}

// Window is a time a wave may start in: a cron expression in a time zone.
type Window struct {
	// Cron: when the window is open, as CodePipeline's DeploymentWindow rule takes it (seconds
	// minutes hours day-of-month month day-of-week [year]), e.g. "* * 9-16 ? * MON-THU *"
	// (Monday to Thursday, 9:00 to 16:59). Required.
	Cron string `json:"cron" yaml:"cron"`
	// TimeZone of the cron expression, an IANA name such as "Europe/Berlin". Default: UTC.
	TimeZone string `json:"timeZone,omitempty" yaml:"timeZone,omitempty"`
}

// Canary makes a deployment prove it had traffic: a deployment nobody calls passes every alarm.
type Canary struct {
	// Path (containers): a CloudWatch Synthetics canary calls the health check path and this
	// path every minute through the production listener and the test listener (where the
	// replacement tasks answer during a deployment); its alarm (<service>-<stage>-canary)
	// guards the deployment group and joins the health alarm. Empty: no canary.
	Path string `json:"path,omitempty" yaml:"path,omitempty"`
	// MinimumInvocations (Lambda): an alarm (<service>-<stage>-invocations) guards the
	// deployment group when the live alias is invoked fewer than this many times a minute,
	// missing data counting as too few, so a shift nobody calls fails and rolls back. 0: no
	// such alarm.
	MinimumInvocations int `json:"minimumInvocations,omitempty" yaml:"minimumInvocations,omitempty"`
}

// Stage results on failure (Safety.OnFailure).
const (
	OnFailureRollback = "rollback"
	OnFailureRetry    = "retry"
	OnFailureStop     = "stop"
)

// OnFailureResults lists Safety.OnFailure's values.
var OnFailureResults = []string{OnFailureRollback, OnFailureRetry, OnFailureStop}

// DefaultProductionBakeMinutes is a production stage's bake when the definition sets none.
const DefaultProductionBakeMinutes = 30

// MaxBakeMinutes is the longest bake: a wave stays in its stage while it bakes, and the
// project keeps a bake within the three hours CloudFormation's rollback triggers watch a
// Lambda stack after its update (MonitoringTimeInMinutes, 0-180, CloudFormation API Reference,
// RollbackConfiguration), so the stack and the stage watch the same time.
const MaxBakeMinutes = 180

// MaxWindows is the most windows a stage may have: each is a rule of the wave's entry
// condition, which holds at most 5 rules (CodePipeline API Reference, Condition: "rules …
// Maximum number of 5 items").
const MaxWindows = 5

// MaxRulesPerCondition: "Array Members: Minimum number of 1 item. Maximum number of 5 items"
// (CodePipeline API Reference, Condition.rules).
const MaxRulesPerCondition = 5

// HealthAlarmName is a target's health alarm: a composite alarm in ALARM while any of the
// target's deployment alarms is.
func (s *Service) HealthAlarmName(stage string) string { return s.AlarmName(stage, HealthAlarm) }

// HealthAlarm, CanaryAlarm and InvocationsAlarm end the names of the alarms the safety block
// adds to a target; custom alarms may not take them.
const (
	HealthAlarm      = "health"
	CanaryAlarm      = "canary"
	InvocationsAlarm = "invocations"
)

// WatchedAlarms are the alarm names the gate and the bake of the stage watch in each target's
// account and region: its health alarm (unless the stage turns that off), then the stage's
// gate alarms.
func (st *Stage) WatchedAlarms(svc *Service) []string {
	var out []string
	if st.Safety.WatchTargetAlarms == nil || *st.Safety.WatchTargetAlarms {
		out = append(out, svc.HealthAlarmName(st.Name))
	}
	seen := map[string]bool{}
	for _, a := range st.Safety.GateAlarms {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}

// Gated reports whether the stage's waves wait for their alarms before they start.
func (st *Stage) Gated() bool { return st.Safety.AlarmGate != nil && *st.Safety.AlarmGate }

// Bake is how long a wave of the stage watches its alarms after it succeeded (0: no bake).
func (st *Stage) Bake() int {
	if st.Safety.BakeMinutes == nil {
		return 0
	}
	return *st.Safety.BakeMinutes
}

// withDefaults fills in the safety defaults of a stage of that role.
func (s Safety) withDefaults(role string) Safety {
	out := s
	production := role == RoleProduction
	if out.AlarmGate == nil {
		out.AlarmGate = &production
	} else {
		v := *out.AlarmGate
		out.AlarmGate = &v
	}
	if out.WatchTargetAlarms == nil {
		t := true
		out.WatchTargetAlarms = &t
	} else {
		v := *out.WatchTargetAlarms
		out.WatchTargetAlarms = &v
	}
	if out.BakeMinutes == nil {
		bake := 0
		if production {
			bake = DefaultProductionBakeMinutes
		}
		out.BakeMinutes = &bake
	} else {
		v := *out.BakeMinutes
		out.BakeMinutes = &v
	}
	if out.OnFailure == "" {
		out.OnFailure = OnFailureRetry
		if production {
			out.OnFailure = OnFailureRollback
		}
	}
	out.GateAlarms = append([]string(nil), out.GateAlarms...)
	out.Windows = append([]Window(nil), out.Windows...)
	for i := range out.Windows {
		if out.Windows[i].TimeZone == "" {
			out.Windows[i].TimeZone = "UTC"
		}
	}
	return out
}

// alarm is the name (after the service and stage) of the canary's alarm, or "".
func (c Canary) alarm() string {
	switch {
	case c.Path != "":
		return CanaryAlarm
	case c.MinimumInvocations > 0:
		return InvocationsAlarm
	}
	return ""
}

// BlueTasksKeptMinutes is how long a container stage's deployment keeps the original tasks
// after the shift (CodeDeploy's termination wait): the service's terminationWaitMinutes, or the
// stage's bake when that is longer, because CodeDeploy keeps watching the alarms, and rolls back
// to the original tasks when one fires, until it ends them.
func (s *Service) BlueTasksKeptMinutes(st *Stage) int {
	return max(s.Container.TerminationWaitMinutes, st.Bake())
}

// WithPlatformGateAlarms adds the platform's gate alarms to every stage that watches alarms (it
// gates or bakes): validation then checks them as the stage's own.
func (s Service) WithPlatformGateAlarms(platform []string) Service {
	if len(platform) == 0 {
		return s
	}
	out := s
	out.Stages = append([]Stage(nil), s.Stages...)
	for i := range out.Stages {
		st := &out.Stages[i]
		if st.Gated() || st.Bake() > 0 {
			st.Safety.GateAlarms = append(append([]string(nil), st.Safety.GateAlarms...), platform...)
		}
	}
	return out
}
