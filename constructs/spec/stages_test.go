package spec

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func boolPtr(b bool) *bool { return &b }

// staged is a service that lists its stages: dev, staging, then production in two waves
// across two regions of another account.
func staged() Service {
	s := minimal()
	s.Home = Target{Account: "111111111111", Region: "eu-west-1"}
	s.Stages = []Stage{
		{Name: "dev"},
		{Name: "staging"},
		{Name: "production", Waves: []Wave{
			{Name: "eu", Targets: []Target{{Account: "222222222222", Region: "eu-west-1"}}},
			{Name: "us", Targets: []Target{{Account: "222222222222", Region: "us-east-1"}}},
		}},
	}
	return s
}

// The two-stage shorthand and its stages are one service: staging (pre-production), then
// production (behind the approval unless manualApproval is false), with their settings and the
// integration test on staging.
func TestShorthandIsTwoStages(t *testing.T) {
	short := minimal()
	short.ManualApproval = boolPtr(false)
	short.Staging.Alarms.ErrorsThreshold = 7
	short.Production.Deployment.Config = "Linear10PercentEvery1Minute"
	short.IntegrationTest.Commands = []string{"npm test"}
	explicit := minimal()
	explicit.Stages = []Stage{
		{Name: "staging", Alarms: Alarms{ErrorsThreshold: 7}, IntegrationTest: IntegrationTest{Commands: []string{"npm test"}}},
		{Name: "production", Approval: boolPtr(false), Deployment: Deployment{Config: "Linear10PercentEvery1Minute"}},
	}
	a, b := short.WithDefaults(), explicit.WithDefaults()
	if !reflect.DeepEqual(a.Stages, b.Stages) {
		t.Errorf("shorthand stages\n%+v\nwant\n%+v", a.Stages, b.Stages)
	}
	if !reflect.DeepEqual(a.Staging, Environment{}) || a.ManualApproval != nil || len(a.IntegrationTest.Commands) > 0 {
		t.Error("a defaulted service keeps its shorthand beside its stages")
	}
	if a.StageField(1) != "production" || b.StageField(1) != "stages[1]" {
		t.Errorf("stage fields %q, %q", a.StageField(1), b.StageField(1))
	}
	if err := a.Validate(); err != nil {
		t.Error(err)
	}
	if err := b.Validate(); err != nil {
		t.Error(err)
	}
}

// Roles, approvals, targets and deployments default by a stage's place: the last stage is
// production behind an approval, the others pre-production; a stage without targets deploys
// to the pipeline's home; production shifts traffic gradually.
func TestStageDefaults(t *testing.T) {
	s := staged().WithDefaults()
	var got []string
	for _, st := range s.Stages {
		got = append(got, fmt.Sprintf("%s:%s:%v:%v:%s", st.Name, st.Role, *st.Approval, st.PipelineStageNames(), st.Deployment.Config))
	}
	want := []string{
		"dev:pre-production:false:[Dev]:AllAtOnce",
		"staging:pre-production:false:[Staging]:AllAtOnce",
		"production:production:true:[Production-eu Production-us]:Canary10Percent5Minutes",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stages %v, want %v", got, want)
	}
	if !reflect.DeepEqual(s.Stages[0].Targets, []Target{{}}) {
		t.Errorf("dev targets %v, want the home", s.Stages[0].Targets)
	}
	if got := s.Stages[0].Targets[0].Resolve(s.Home); got != s.Home {
		t.Errorf("home target resolves to %v", got)
	}
	prod := &s.Stages[2]
	var tags []string
	for _, target := range prod.AllTargets() {
		tags = append(tags, prod.TargetTag(target))
	}
	if strings.Join(tags, " ") != "production-eu-west-1 production-us-east-1" {
		t.Errorf("production target tags %v", tags)
	}
	// Two targets in one region are told apart by their account.
	two := Stage{Name: "production", Targets: []Target{{Account: "222222222222", Region: "eu-west-1"}, {Region: "eu-west-1"}}}
	if a, b := two.TargetTag(two.Targets[0]), two.TargetTag(two.Targets[1]); a != "production-222222222222-eu-west-1" || b != "production-home-eu-west-1" {
		t.Errorf("same-region tags %q, %q", a, b)
	}
	if s.TargetStackID(prod, prod.AllTargets()[1]) != "orders-production-us-east-1" {
		t.Errorf("stack ID %q", s.TargetStackID(prod, prod.AllTargets()[1]))
	}
	// A defaulted service does not share its stages' lists with the definition.
	def := staged()
	d := def.WithDefaults()
	d.Stages[2].Waves[0].Targets[0].Region = "changed"
	if def.Stages[2].Waves[0].Targets[0].Region != "eu-west-1" {
		t.Error("WithDefaults aliases the waves' targets")
	}
}

// Every rule of the stages is a problem on the field that breaks it, with a fix.
func TestStagesValidation(t *testing.T) {
	cases := []struct {
		name   string
		edit   func(*Service)
		field  string
		phrase string
	}{
		{"empty stages", func(s *Service) { s.Stages = []Stage{} }, "", ""}, // an empty list is the shorthand
		{"duplicate name", func(s *Service) { s.Stages[1].Name = "dev" }, "stages[1].name", "also the name of stages[0]"},
		{"reserved name", func(s *Service) { s.Stages[0].Name = "build" }, "stages[0].name", "uses itself"},
		{"bad name", func(s *Service) { s.Stages[0].Name = "Dev_1" }, "stages[0].name", ""},
		{"unknown role", func(s *Service) { s.Stages[1].Role = "prod" }, "stages[1].role", `"prod" is not a stage role`},
		{"production first", func(s *Service) { s.Stages[0].Role = RoleProduction }, "stages[0].role", "no pre-production stage comes before it"},
		{"pre-production after production", func(s *Service) {
			s.Stages[1].Role = RoleProduction
			s.Stages[2].Role = RolePreProduction
		}, "stages[2].role", "comes after the production stage stages[1]"},
		{"targets and waves", func(s *Service) { s.Stages[2].Targets = []Target{{Region: "eu-west-1"}} }, "stages[2].targets", "set beside waves"},
		{"empty wave", func(s *Service) { s.Stages[2].Waves[1].Targets = nil }, "stages[2].waves[1].targets", "is empty"},
		{"duplicate wave", func(s *Service) { s.Stages[2].Waves[1].Name = "eu" }, "stages[2].waves[1].name", "names two waves"},
		{"target twice", func(s *Service) { s.Stages[2].Waves[1].Targets[0].Region = "eu-west-1" }, "stages[2].waves[1].targets[0]", "deploys to a target once"},
		{"home twice", func(s *Service) { s.Stages[0].Targets = []Target{{}, {Account: "111111111111", Region: "eu-west-1"}} },
			"stages[0].targets[1]", "111111111111/eu-west-1 is also stages[0].targets[0]"},
		{"bad account", func(s *Service) { s.Stages[2].Waves[0].Targets[0].Account = "2222" }, "stages[2].waves[0].targets[0].account", ""},
		{"bad region", func(s *Service) { s.Stages[2].Waves[0].Targets[0].Region = "Europe" }, "stages[2].waves[0].targets[0].region", ""},
		{"other partition", func(s *Service) { s.Stages[2].Waves[1].Targets[0].Region = "cn-north-1" }, "stages[2].waves[1].targets[0].region", "aws-cn partition"},
		{"shorthand beside stages", func(s *Service) { s.Production.Alarms.ErrorsThreshold = 3 }, "production", "two-stage shorthand"},
		{"approval beside stages", func(s *Service) { s.ManualApproval = boolPtr(true) }, "manualApproval", "move it into the stage"},
		{"tag starts another", func(s *Service) {
			s.Stages[1].Name = "production-eu"
			s.Stages[2].Waves[0].Targets[0].Region = "eu-west-2"
			s.Stages[2].Waves[1].Targets[0].Region = "eu-west-1"
		}, "stages[2].waves[1].targets[0]", `is known as "production-eu-west-1", which stages[1] ("production-eu") starts`},
		{"too many stages", func(s *Service) {
			// 49 stages (within the list's limit) make 53 pipeline stages: 50 for their waves, source, build
			// and the production approval.
			for i := 0; i < 46; i++ {
				s.Stages = append([]Stage{{Name: fmt.Sprintf("test%d", i)}}, s.Stages...)
			}
		}, "stages", "make a pipeline of 53 stages"},
		{"too many actions", func(s *Service) {
			// 26 targets, each deployed and tested: 52 actions.
			s.Stages[2].IntegrationTest.Commands = []string{"npm test"}
			s.Stages[2].Waves[0].Targets = nil
			for i := 0; i < 26; i++ {
				s.Stages[2].Waves[0].Targets = append(s.Stages[2].Waves[0].Targets, Target{Account: fmt.Sprintf("3%011d", i), Region: "eu-west-1"})
			}
		}, "stages[2].waves[0].targets", "makes a pipeline stage of 52 actions (26 targets, 2 actions each)"},
		{"too many container targets", func(s *Service) {
			s.Lambda = Lambda{}
			s.Container = &Container{}
			s.Stages[2].Waves[0].Targets = nil
			for i := 0; i < 47; i++ {
				s.Stages[2].Waves[i%2].Targets = append(s.Stages[2].Waves[i%2].Targets, Target{Account: fmt.Sprintf("3%011d", i), Region: "eu-west-1"})
			}
		}, "stages", "at most 48"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := staged()
			c.edit(&s)
			err := s.WithDefaults().Validate()
			if c.field == "" && c.phrase == "" && c.name == "empty stages" {
				if err != nil {
					t.Errorf("an empty list of stages is the shorthand's two: %v", err)
				}
				return
			}
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("want Problems, got %v", err)
			}
			for _, p := range ps {
				if p.Field == c.field && strings.Contains(p.String(), c.phrase) && p.Fix != "" {
					return
				}
			}
			t.Errorf("no problem on %s mentioning %q in:\n%v", c.field, c.phrase, err)
		})
	}
	if err := staged().WithDefaults().Validate(); err != nil {
		t.Errorf("the staged service is refused: %v", err)
	}
}

// The shorthand's problems are reported on the fields it wrote, never on stages[i].
func TestShorthandProblemsNameItsFields(t *testing.T) {
	s := minimal()
	s.ManualApproval = boolPtr(true)
	s.Production.Deployment.Config = "AllAtOnce"
	s.Staging.Alarms.ErrorsThreshold = -2
	err := s.WithDefaults().Validate()
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"production.deployment:", "staging.alarms.errorsThreshold:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("no problem on %s in %v", want, err)
		}
	}
	if strings.Contains(err.Error(), "stages[") {
		t.Errorf("internal stage paths shown: %v", err)
	}
}

// The delivery figures read production and release stages by role, each name once; the
// outcome pattern is a conjunction of equalities for one name and an alternation for several,
// and an app whose production stage names overflow CloudWatch Logs' 1024-character filter
// pattern is refused.
func TestDeliveryStagesAndTheirPattern(t *testing.T) {
	a, b := staged().WithDefaults(), minimal()
	b.Name = "payments"
	st := DeliveryStagesOf([]Service{a, b.WithDefaults()})
	if strings.Join(st.Production, " ") != "Production Production-eu Production-us" || strings.Join(st.Released, " ") != "Production Production-us" {
		t.Errorf("delivery stages %+v", st)
	}
	if p := OutcomePattern([]string{"Production"}, "FAILED"); p != `{ ($.source = "aws.codepipeline") && ($.detail.action = "*") && ($.detail.stage = "Production") && ($.detail.state = "FAILED") }` {
		t.Errorf("one stage: %s", p)
	}
	if p := OutcomePattern([]string{"A", "B"}, "FAILED"); !strings.Contains(p, `&& (($.detail.stage = "A") || ($.detail.stage = "B")) &&`) {
		t.Errorf("two stages: %s", p)
	}
	if p := OutcomePattern([]string{"Production"}, "SUCCEEDED"); !strings.Contains(p, `($.detail.action NOT EXISTS)`) {
		t.Errorf("a release is a stage event, not an action's: %s", p)
	}
	var many []Service
	for i := 0; i < 30; i++ {
		s := minimal()
		s.Name = fmt.Sprintf("svc%d", i)
		s.Stages = []Stage{{Name: "staging"}, {Name: fmt.Sprintf("production%d", i)}}
		many = append(many, s.WithDefaults())
	}
	err := ValidateAll(many)
	if err == nil || !strings.Contains(err.Error(), "metric filter pattern of") || !strings.Contains(err.Error(), "CloudWatch Logs allows 1024") {
		t.Errorf("30 production stage names: %v", err)
	}
	if err := ValidateAll(many[:10]); err != nil {
		t.Errorf("10 production stage names: %v", err)
	}
}
