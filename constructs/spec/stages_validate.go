package spec

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Stage and target limits. CodePipeline: at most 50 stages a pipeline and 50 actions a stage
// (https://docs.aws.amazon.com/codepipeline/latest/userguide/limits.html).
const (
	MaxPipelineStages = 50
	MaxStageActions   = 50
)

var (
	// stageNameRE: a stage or wave name. It goes into stack names (<service>-<stage>), function
	// names (<service>-<stage>-posttraffic, at most 64 characters), alarm names and CodePipeline
	// stage names.
	stageNameRE = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	// accountRE: an AWS account ID, 12 digits.
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	// regionRE: an AWS region code, e.g. eu-west-1, us-gov-west-1, cn-northwest-1.
	regionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
)

// reservedStageNames would collide with what the pipeline names itself: the <service>-pipeline
// stack, and the Source, Build and Scan stages.
var reservedStageNames = []string{"pipeline", "source", "build", "scan"}

// stages checks the stages as a whole (names, roles and their order, targets, the pipeline's
// size) and each stage's runtime settings.
func (v *validator) stages(s Service) {
	v.shorthandWithStages(s)
	if len(s.Stages) == 0 {
		v.add("stages", "is empty", "list at least two stages (a pre-production one, then production), or remove it for staging and production")
		return
	}
	names := map[string]int{}
	pipelineStages := map[string]string{}
	firstPreProduction, firstProduction := -1, -1
	for i, st := range s.Stages {
		field := v.stageField(i)
		if prev, ok := names[st.Name]; ok && st.Name != "" {
			v.add(field+".name", fmt.Sprintf("%q is also the name of %s", st.Name, v.stageField(prev)), "give every stage its own name")
		}
		names[st.Name] = i
		if slices.Contains(reservedStageNames, st.Name) {
			v.add(field+".name", fmt.Sprintf("%q is a name the pipeline uses itself", st.Name), "use another name, e.g. dev, test, staging or production")
		}
		v.role(field, st, firstPreProduction, firstProduction)
		// A stage of an unknown role counts as pre-production: its own problem says it.
		if st.Role != RoleProduction && firstPreProduction < 0 {
			firstPreProduction = i
		}
		if st.Role == RoleProduction && firstProduction < 0 {
			firstProduction = i
		}
		v.waves(field, st)
		for _, ps := range st.PipelineStageNames() {
			if other, ok := pipelineStages[ps]; ok {
				v.add(field, fmt.Sprintf("makes the pipeline stage %q, which %s makes too", ps, other), "rename the stage or its waves")
			}
			pipelineStages[ps] = field
		}
		v.stage(s, i)
	}
	v.pipelineSize(s)
	v.partitions(s)
	v.targetTags(s)
	if s.IsContainer() {
		v.testTrafficHooks(s)
	}
}

// shorthandWithStages reports the two-stage shorthand's fields in a definition that lists its
// stages: they would be silently ignored.
func (v *validator) shorthandWithStages(s Service) {
	if len(s.Stages) == 0 || v.shorthand {
		return
	}
	for field, set := range map[string]bool{"staging": !isZero(s.Staging), "production": !isZero(s.Production),
		"manualApproval": s.ManualApproval != nil, "integrationTest": !isZero(s.IntegrationTest)} {
		if set {
			v.report(field, "belongs to the two-stage shorthand, which a definition with stages does not use",
				"move it into the stage it is for (stages[i].deployment, .alarms, .hooks, .approval, .integrationTest), or remove stages")
		}
	}
}

// role checks a stage's role, and that production comes only after a pre-production stage and
// no pre-production stage after it.
func (v *validator) role(field string, st Stage, firstPreProduction, firstProduction int) {
	switch st.Role {
	case RolePreProduction:
		if firstProduction >= 0 {
			v.add(field+".role", fmt.Sprintf("is pre-production, but comes after the production stage %s", v.shown(v.stageField(firstProduction))),
				"move it before the production stages: a release is proven before it reaches users, not after")
		}
	case RoleProduction:
		if firstPreProduction < 0 {
			v.add(field+".role", "is production, but no pre-production stage comes before it",
				"put a pre-production stage (role: pre-production, e.g. staging) first: a release is proven before it reaches users")
		}
	default:
		v.add(field+".role", fmt.Sprintf("%q is not a stage role", st.Role), `use "pre-production" or "production"`+DidYouMean(st.Role, Roles))
	}
}

// waves checks a stage's waves and targets: names, forms, no target twice.
func (v *validator) waves(field string, st Stage) {
	if len(st.Targets) > 0 && len(st.Waves) > 0 {
		v.add(field+".targets", "is set beside waves", "list the targets in the waves (targets is the shorthand for one wave)")
		return
	}
	seen := map[Target]string{}
	waveNames := map[string]bool{}
	for w, wave := range st.WaveList() {
		wf := fmt.Sprintf("%s.waves[%d]", field, w)
		if len(st.Waves) == 0 {
			wf = field // the targets shorthand: one wave, written as the stage's targets
		}
		if waveNames[wave.Name] {
			v.add(wf+".name", fmt.Sprintf("%q names two waves of the stage", wave.Name), "give every wave its own name")
		}
		waveNames[wave.Name] = true
		if len(wave.Targets) == 0 {
			v.add(wf+".targets", "is empty", "list the wave's targets, e.g. [{region: eu-west-1}]")
		}
		for t, target := range wave.Targets {
			tf := fmt.Sprintf("%s.targets[%d]", wf, t)
			// The same account and region, spelled out or left to the home, is one target.
			where := target.Resolve(v.home)
			if other, ok := seen[where]; ok {
				v.add(tf, fmt.Sprintf("%s is also %s: a stage deploys to a target once", where, v.shown(other)), "remove one of them")
			}
			seen[where] = tf
		}
	}
}

// stage checks one stage's runtime settings: its deployment, alarms, hooks and tests.
func (v *validator) stage(s Service, i int) {
	st, field := s.Stages[i], v.stageField(i)
	if s.IsContainer() {
		v.containerStage(field, st)
	} else {
		v.lambdaStage(field, st, s.Lambda.TimeoutSeconds)
	}
	v.integrationTest(v.integrationTestField(i), st.IntegrationTest)
	v.safety(s, i)
}

// pipelineSize checks the pipeline against CodePipeline's limits: stages a pipeline (the
// source, build and scan stages, an approval stage before each stage that has one, a stage a
// wave) and actions a stage (a wave's targets times the actions each takes).
func (v *validator) pipelineSize(s Service) {
	stages := 2
	if s.IsContainer() {
		stages = 3
	}
	for i, st := range s.Stages {
		if st.ApprovalRequired() {
			stages++
		}
		stages += len(st.WaveList())
		perTarget := s.ActionsPerTarget(&st)
		for w, wave := range st.WaveList() {
			if n := len(wave.Targets) * perTarget; n > MaxStageActions {
				v.add(v.wavesField(i, st, w)+".targets",
					fmt.Sprintf("makes a pipeline stage of %d actions (%d targets, %d actions each); CodePipeline allows %d", n, len(wave.Targets), perTarget, MaxStageActions),
					fmt.Sprintf("split the wave: at most %d targets a wave", MaxStageActions/perTarget))
			}
		}
	}
	if stages > MaxPipelineStages {
		v.add("stages", fmt.Sprintf("make a pipeline of %d stages (with source, build, scan, approvals and one stage a wave); CodePipeline allows %d", stages, MaxPipelineStages),
			"use fewer stages or waves")
	}
}

// partitions requires every target in the home's partition: a pipeline cannot deploy across
// partitions (aws, aws-cn, aws-us-gov), whose accounts and credentials are separate.
func (v *validator) partitions(s Service) {
	home := Partition(s.Home.Region)
	for i, st := range s.Stages {
		for w, wave := range st.WaveList() {
			for t, target := range wave.Targets {
				if target.Region == "" || !regionRE.MatchString(target.Region) {
					continue
				}
				field := fmt.Sprintf("%s.targets[%d].region", v.wavesField(i, st, w), t)
				if p := Partition(target.Region); (s.Home.Region != "" && p != home) || (s.Home.Region == "" && p != "aws") {
					v.add(field, fmt.Sprintf("%q is in the %s partition, the pipeline in %s", target.Region, p, map[bool]string{true: home, false: "aws (or the app's)"}[s.Home.Region != ""]),
						"deploy within the pipeline's partition: a separate pipeline serves the other one")
				}
			}
		}
	}
}

// wavesField is the field path of a stage's wave w: stages[i].waves[w], or stages[i] for a
// stage that lists its targets (one wave).
func (v *validator) wavesField(i int, st Stage, w int) string {
	if len(st.Waves) == 0 {
		return v.stageField(i)
	}
	return fmt.Sprintf("%s.waves[%d]", v.stageField(i), w)
}

// MaxContainerTargets: a container service's targets, one ECR lifecycle rule each beside the
// build images' and the untagged layers' rules; ECR allows 50 rules a lifecycle policy
// (https://docs.aws.amazon.com/AmazonECR/latest/userguide/service-quotas.html).
const MaxContainerTargets = 48

// targetTags checks the names the targets are known by (Stage.TargetTag): each its own, and
// none the start of another's followed by a hyphen, since ECR lifecycle rules match the
// released images' tags (deployed-<tag>-<release>) by prefix and a rule would keep only the
// newest of both targets' images. A container service has at most MaxContainerTargets.
func (v *validator) targetTags(s Service) {
	type named struct{ tag, field string }
	var all []named
	for i, st := range s.Stages {
		for w, wave := range st.WaveList() {
			for t, target := range wave.Targets {
				field := fmt.Sprintf("%s.targets[%d]", v.wavesField(i, st, w), t)
				if len(st.AllTargets()) == 1 {
					field = v.stageField(i) // its one target, perhaps the default
				}
				all = append(all, named{st.TargetTag(target), field})
			}
		}
	}
	for _, a := range all {
		for _, b := range all {
			if a.field != b.field && (a.tag == b.tag || strings.HasPrefix(b.tag, a.tag+"-")) && v.stageOf(a.field) != v.stageOf(b.field) {
				v.add(b.field, fmt.Sprintf("is known as %q, which %s (%q) starts: their stacks and released images' tags would be mistaken for each other", b.tag, v.shown(a.field), a.tag),
					"rename one of the stages so that neither name, followed by a hyphen, starts the other")
			}
		}
	}
	if s.IsContainer() && len(all) > MaxContainerTargets {
		v.add("stages", fmt.Sprintf("have %d targets; a container service has at most %d, one ECR lifecycle rule each (ECR allows 50 rules a repository, two keep the build images and drop untagged layers)", len(all), MaxContainerTargets),
			"deploy to fewer targets, or split the service's targets between two pipelines")
	}
}

// stageOf is the stage part of a field path (stages[i] or staging/production).
func (v *validator) stageOf(field string) string {
	if i := strings.Index(field, "."); i >= 0 {
		return field[:i]
	}
	return field
}

// Partition is the AWS partition of a region ("" is the commercial one, aws).
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// ActionsPerTarget is how many pipeline actions a stage takes for each of its targets: Lambda:
// deploy (and test); containers: prepare, deploy, record (and test).
func (s *Service) ActionsPerTarget(st *Stage) int {
	n := 1
	if s.IsContainer() {
		n = 3
	}
	if len(st.IntegrationTest.Commands) > 0 {
		n++
	}
	return n
}

// stageField is the field path of a stage as the definition wrote it: stages[i], or for the
// two-stage shorthand the field that set it (staging, production).
func (v *validator) stageField(i int) string { return stageField(v.shorthand, i) }

func (v *validator) integrationTestField(i int) string {
	if v.shorthand {
		return "integrationTest"
	}
	return v.stageField(i) + ".integrationTest"
}

// shown turns an internal field path (stages[i]…) into the one the definition wrote: the
// shorthand's fields for a service defined without stages.
func (v *validator) shown(field string) string {
	if !v.shorthand {
		return field
	}
	for i, name := range []string{DefaultFirstStage, DefaultLastStage} {
		prefix := fmt.Sprintf("stages[%d]", i)
		switch {
		case field == prefix:
			return name
		case field == prefix+".approval":
			return "manualApproval"
		case strings.HasPrefix(field, prefix+".integrationTest"):
			return strings.TrimPrefix(field, prefix+".")
		case strings.HasPrefix(field, prefix+"."):
			return name + strings.TrimPrefix(field, prefix)
		}
	}
	return field
}
