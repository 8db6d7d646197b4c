package spec

import (
	"fmt"
	"reflect"
	"strings"
)

// Roles a stage plays. Policy rules, defaults, dashboards and the delivery figures read a
// stage's role, never its name.
const (
	// RolePreProduction: a stage that proves a release before production (dev, test, staging).
	RolePreProduction = "pre-production"
	// RoleProduction: a stage whose targets serve the service's users.
	RoleProduction = "production"
)

// Roles lists the stage roles, in the order a release meets them.
var Roles = []string{RolePreProduction, RoleProduction}

// Stage is one step of a release: its targets (an account and a region each), deployed wave by
// wave (each wave's targets in parallel, the waves in order; a wave that fails stops the rest),
// the approval before it, how traffic moves, what guards the move, and the tests after it.
type Stage struct {
	// Name of the stage: 1-16 lowercase letters, digits and hyphens, starting with a letter,
	// unique in the service. It names the pipeline stage (capitalized), the service stack
	// (<service>-<name>), the function, deployment group, alarms and release parameter.
	// Required.
	Name string `json:"name" yaml:"name"`
	// Role: "pre-production" or "production". Default: "production" for the last stage,
	// "pre-production" for the others. A production stage needs a pre-production stage before
	// it.
	Role string `json:"role,omitempty" yaml:"role,omitempty"`
	// Approval: a manual approval before the stage starts. Default: true for a production
	// stage after another stage, false otherwise.
	Approval *bool `json:"approval,omitempty" yaml:"approval,omitempty"`
	// Targets of the stage, all in one wave: a shorthand for waves with one wave. Default: one
	// target, the pipeline's own account and region (Home).
	Targets []Target `json:"targets,omitempty" yaml:"targets,omitempty"`
	// Waves of targets, deployed in order (set targets or waves, not both).
	Waves []Wave `json:"waves,omitempty" yaml:"waves,omitempty"`
	// Deployment is how traffic moves to the new version. Default: AllAtOnce (ECSAllAtOnce)
	// in a pre-production stage, Canary10Percent5Minutes (ECSCanary10Percent5Minutes) in a
	// production one.
	Deployment Deployment `json:"deployment,omitempty" yaml:"deployment,omitempty"`
	// Alarms guard the deployment: CodeDeploy stops and rolls back when one fires.
	Alarms Alarms `json:"alarms,omitempty" yaml:"alarms,omitempty"`
	// Hooks are optional validation functions run by CodeDeploy around the traffic shift.
	Hooks Hooks `json:"hooks,omitempty" yaml:"hooks,omitempty"`
	// IntegrationTest runs against every target of the stage after its deployment; a failure
	// stops the release. Empty commands: no integration test.
	IntegrationTest IntegrationTest `json:"integrationTest,omitempty" yaml:"integrationTest,omitempty"`
	// Safety protects the stage beyond its traffic shift: an alarm gate and windows before each
	// wave, a bake after it, a rollback or retry when it fails, a canary on its targets.
	Safety Safety `json:"safety,omitempty" yaml:"safety,omitempty"`
}

// Wave is a set of targets deployed together.
type Wave struct {
	// Name of the wave: 1-16 lowercase letters, digits and hyphens, starting with a letter,
	// unique in the stage; with several waves it names the pipeline stage
	// (<Stage>-<wave>). Default: wave1, wave2, …
	Name string `json:"name,omitempty" yaml:"name,omitempty"`
	// Targets of the wave. Required (at least one).
	Targets []Target `json:"targets" yaml:"targets"`
}

// Target is an AWS account and region a stage deploys the service to.
type Target struct {
	// Account: 12 digits. Default: the pipeline's account (Home).
	Account string `json:"account,omitempty" yaml:"account,omitempty"`
	// Region, e.g. "eu-west-1". Default: the pipeline's region (Home).
	Region string `json:"region,omitempty" yaml:"region,omitempty"`
}

// PipelineStageNames are the CodePipeline stages of the stage's waves, in order: its name
// capitalized ("Production"), with the wave's name when it has several ("Production-eu").
func (st *Stage) PipelineStageNames() []string {
	waves := st.WaveList()
	out := make([]string, len(waves))
	for i, w := range waves {
		out[i] = capitalize(st.Name)
		if len(waves) > 1 {
			out[i] += "-" + w.Name
		}
	}
	return out
}

// ApprovalStageName is the CodePipeline stage of the approval before the stage.
func (st *Stage) ApprovalStageName() string { return "Approve" + capitalize(st.Name) }

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// IsProduction reports whether the stage serves the service's users.
func (st *Stage) IsProduction() bool { return st.Role == RoleProduction }

// ApprovalRequired reports whether the stage waits for a manual approval.
func (st *Stage) ApprovalRequired() bool { return st.Approval != nil && *st.Approval }

// AllTargets are the stage's targets, wave by wave.
func (st *Stage) AllTargets() []Target {
	var out []Target
	for _, w := range st.WaveList() {
		out = append(out, w.Targets...)
	}
	return out
}

// TargetSuffix tells a target from the other targets of its stage: "" when it is the only
// one, its region when no other target of the stage is in that region, else
// <account>-<region> ("home" for a part the target leaves to the pipeline's home).
func (st *Stage) TargetSuffix(target Target) string {
	all := st.AllTargets()
	if len(all) == 1 {
		return ""
	}
	sameRegion := 0
	for _, other := range all {
		if other.Region == target.Region {
			sameRegion++
		}
	}
	region, account := target.Region, target.Account
	if region == "" {
		region = "home"
	}
	if sameRegion == 1 {
		return region
	}
	if account == "" {
		account = "home"
	}
	return account + "-" + region
}

// TargetTag names a target among all the service's targets: the stage's name, then the
// target's suffix in a stage of several ("production-eu-west-1"). It names the target's
// service stack ID, its released images' tags (deployed-<tag>-<release>) and its projects.
func (st *Stage) TargetTag(target Target) string {
	if suffix := st.TargetSuffix(target); suffix != "" {
		return st.Name + "-" + suffix
	}
	return st.Name
}

// TargetStackID is the construct ID of a target's service stack: <service>-<target tag>.
func (s *Service) TargetStackID(st *Stage, target Target) string {
	return s.Name + "-" + st.TargetTag(target)
}

// NamedTarget is the first target that names an account or a region, and its stage's index
// (-1 when every target is the pipeline's own account and region): the pipeline's own must
// then be known.
func (s *Service) NamedTarget() (int, Target) {
	for i, st := range s.Stages {
		for _, t := range st.AllTargets() {
			if t.Account != "" || t.Region != "" {
				return i, t
			}
		}
	}
	return -1, Target{}
}

// Resolve fills in what a target leaves to the pipeline's home (an empty account or region).
func (t Target) Resolve(home Target) Target {
	if t.Account == "" {
		t.Account = home.Account
	}
	if t.Region == "" {
		t.Region = home.Region
	}
	return t
}

// String names the target for people: "<account>/<region>", "" parts as "home".
func (t Target) String() string {
	part := func(s string) string {
		if s == "" {
			return "home"
		}
		return s
	}
	return part(t.Account) + "/" + part(t.Region)
}

// Stage returns the stage of that name, or nil.
func (s *Service) Stage(name string) *Stage {
	for i := range s.Stages {
		if s.Stages[i].Name == name {
			return &s.Stages[i]
		}
	}
	return nil
}

// StageNames are the service's stage names in release order.
func (s *Service) StageNames() []string {
	out := make([]string, len(s.Stages))
	for i, st := range s.Stages {
		out[i] = st.Name
	}
	return out
}

// The two stages a service gets when its definition names none: staging (pre-production),
// then production behind a manual approval. They are the only place the project names a
// stage; the definition's staging, production, manualApproval and integrationTest fields are
// their settings.
const (
	DefaultFirstStage = "staging"
	DefaultLastStage  = "production"
)

// StageField is the field path of the stage at index i as the definition wrote it: stages[i],
// or for a service defined by the two-stage shorthand the field that set it (staging,
// production).
func (s *Service) StageField(i int) string { return stageField(s.fromShorthand, i) }

func stageField(shorthand bool, i int) string {
	if shorthand && i < 2 {
		return []string{DefaultFirstStage, DefaultLastStage}[i]
	}
	return fmt.Sprintf("stages[%d]", i)
}

// defaultStages turns the two-stage shorthand into stages.
func (s *Service) defaultStages() []Stage {
	approve := s.ManualApproval == nil || *s.ManualApproval
	return []Stage{
		{Name: DefaultFirstStage, Role: RolePreProduction, Deployment: s.Staging.Deployment, Alarms: s.Staging.Alarms,
			Hooks: s.Staging.Hooks, IntegrationTest: s.IntegrationTest, Safety: s.Staging.Safety},
		{Name: DefaultLastStage, Role: RoleProduction, Approval: &approve, Deployment: s.Production.Deployment,
			Alarms: s.Production.Alarms, Hooks: s.Production.Hooks, Safety: s.Production.Safety},
	}
}

// usesShorthand reports whether the definition sets the two-stage shorthand's fields.
func (s *Service) usesShorthand() bool {
	return s.ManualApproval != nil || !isZero(s.Staging) || !isZero(s.Production) || !isZero(s.IntegrationTest)
}

// withDefaults fills in a stage's defaults: index is its place among count stages.
func (st Stage) withDefaults(svc *Service, index, count int) Stage {
	out := st
	if out.Role == "" {
		out.Role = RolePreProduction
		if index == count-1 {
			out.Role = RoleProduction
		}
	}
	if out.Approval == nil {
		approve := out.Role == RoleProduction && index > 0
		out.Approval = &approve
	} else {
		approve := *out.Approval
		out.Approval = &approve
	}
	if len(out.Waves) == 0 && len(out.Targets) == 0 {
		out.Targets = []Target{{}}
	}
	out.Targets = append([]Target(nil), out.Targets...)
	out.Waves = defaultWaves(out.Waves)
	env := Environment{Deployment: out.Deployment, Alarms: out.Alarms, Hooks: out.Hooks}.withDefaults(svc, out.Role)
	out.Deployment, out.Alarms, out.Hooks = env.Deployment, env.Alarms, env.Hooks
	out.IntegrationTest = out.IntegrationTest.withDefaults()
	out.Safety = out.Safety.withDefaults(out.Role)
	return out
}

// defaultWaves names the waves without a name wave1, wave2, …
func defaultWaves(waves []Wave) []Wave {
	if waves == nil {
		return nil
	}
	out := make([]Wave, len(waves))
	for i, w := range waves {
		if w.Name == "" {
			w.Name = fmt.Sprintf("wave%d", i+1)
		}
		w.Targets = append([]Target(nil), w.Targets...)
		out[i] = w
	}
	return out
}

// WaveList is the stage's waves: its waves, or its targets as one wave (wave1).
func (st *Stage) WaveList() []Wave {
	if len(st.Waves) > 0 {
		return st.Waves
	}
	return []Wave{{Name: "wave1", Targets: st.Targets}}
}

func (t IntegrationTest) withDefaults() IntegrationTest {
	out := t
	if out.TimeoutMinutes == 0 {
		out.TimeoutMinutes = DefaultTestTimeoutMinutes
	}
	out.Install = append([]string(nil), out.Install...)
	out.Commands = append([]string(nil), out.Commands...)
	return out
}

func isZero(v interface{}) bool { return reflect.ValueOf(v).IsZero() }
