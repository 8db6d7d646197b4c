package stacks

import (
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/feedback"
	"github.com/golden-pipelines/microservice-pipelines/constructs/pipeline"
	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// plan is where the app's stacks go: every account and region the services use, and what each
// one is for.
type plan struct {
	app   spec.Target // the app's own account and region ("" parts when environment-agnostic)
	envs  []*envUse
	by    map[spec.Target]*envUse
	homes map[string]spec.Target // service name -> its home
	// stacks are every stack created, for the acknowledgements each one carries.
	stacks []awscdk.Stack
}

// envUse is one account and region the app uses.
type envUse struct {
	spec.Target
	// appHome: the app's own account and region (its shared stack is golden-pipelines-shared;
	// an app whose services all live elsewhere has none there).
	appHome bool
	// homeOf are the services whose pipeline lives here.
	homeOf []spec.Service
	// forwarders are the accounts (other than this one) that services homed here deploy to:
	// they forward their deployment events to this bus.
	forwarders map[string]bool
	// homes are the homes of the pipelines that deploy here from elsewhere; lambda and
	// containers say which kinds of service they deploy.
	homes              []feedback.Home
	lambda, containers bool
	// stackNames are the service stacks the pipelines from elsewhere update here.
	stackNames []string

	shared   awscdk.Stack
	access   *pipeline.TargetAccess
	feedback *feedback.TargetFeedback
}

func (e *envUse) stackID() string {
	if e.appHome {
		return SharedStackName
	}
	return SharedStackID(e.Target)
}

// SharedStackID is the ID of the shared stack of an account and region other than the app's
// own (whose shared stack is SharedStackName): golden-pipelines-shared-<account>-<region>.
func SharedStackID(t spec.Target) string {
	return fmt.Sprintf("%s-%s-%s", SharedStackName, t.Account, t.Region)
}

// SupportStackID is the ID of a service pipeline's support stack in an account and region
// (pipeline.SupportScope): <service>-support-<account>-<region>.
func SupportStackID(service string, t spec.Target) string {
	return fmt.Sprintf("%s-support-%s-%s", service, t.Account, t.Region)
}

func (e *envUse) env() *awscdk.Environment { return environment(e.Target) }

func (e *envUse) forwardingAccounts() []string {
	return slices.Sorted(maps.Keys(e.forwarders))
}

// environment is a stack's environment for a target (nil: environment-agnostic).
func environment(t spec.Target) *awscdk.Environment {
	if t.Account == "" && t.Region == "" {
		return nil
	}
	return &awscdk.Environment{Account: optional(t.Account), Region: optional(t.Region)}
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return jsii.String(s)
}

// newPlan resolves every service's home (its own, or the app's) and targets, and records what
// each account and region is for. A service whose targets name an account or a region must
// know its home's: the pipeline tells home from away by them.
func newPlan(services []spec.Service, env *awscdk.Environment) (*plan, error) {
	p := &plan{by: map[spec.Target]*envUse{}, homes: map[string]spec.Target{}}
	if env != nil {
		p.app = spec.Target{Account: deref(env.Account), Region: deref(env.Region)}
	}
	var problems spec.Problems
	for _, s := range services {
		home := s.Home.Resolve(p.app)
		p.homes[s.Name] = home
		if home != s.Home {
			// The app's account and region complete the home: the rules that read it (a target
			// named twice, spelled out and left to the home; the partition) apply again.
			resolved := s
			resolved.Home = home
			if err := resolved.Validate(); err != nil {
				problems = append(problems, err.(spec.Problems)...)
				continue
			}
		}
		h := p.use(home)
		h.homeOf = append(h.homeOf, s)
		if i, t := s.NamedTarget(); i >= 0 && (home.Account == "" || home.Region == "") {
			problems = append(problems, spec.Problem{Service: s.Name, Field: s.StageField(i),
				What: fmt.Sprintf("deploys to %s, but the pipeline's own account and region are not known", t),
				Fix:  "set home: {account, region} in the definition, or synthesize with credentials (cdk synth resolves them)"})
			continue
		}
		for _, st := range s.Stages {
			for _, t := range st.AllTargets() {
				p.record(s, st.Name, home, t.Resolve(home))
			}
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return p, nil
}

// record records that a service homed in home deploys its stage to t.
func (p *plan) record(s spec.Service, stage string, home, t spec.Target) {
	if t == home {
		return
	}
	if t.Account != home.Account {
		h := p.use(home)
		if h.forwarders == nil {
			h.forwarders = map[string]bool{}
		}
		h.forwarders[t.Account] = true
	}
	u := p.use(t)
	if fh := (feedback.Home{Account: home.Account, Region: home.Region}); !slices.Contains(u.homes, fh) {
		u.homes = append(u.homes, fh)
	}
	if name := s.StackName(stage); !slices.Contains(u.stackNames, name) {
		u.stackNames = append(u.stackNames, name)
	}
	u.lambda = u.lambda || !s.IsContainer()
	u.containers = u.containers || s.IsContainer()
}

// use returns the record of an account and region, created on first use.
func (p *plan) use(t spec.Target) *envUse {
	if u, ok := p.by[t]; ok {
		return u
	}
	u := &envUse{Target: t, appHome: t == p.app}
	p.by[t] = u
	p.envs = append(p.envs, u)
	return u
}

func deref(s *string) string {
	if s == nil || *awscdk.Token_IsUnresolved(s) {
		return ""
	}
	return *s
}
