package stacks

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/platform"
	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// PlatformContext is the context key that turns the platform pipeline on (cdk.json):
//
//	"golden-pipelines:platform": {
//	  "connection": "arn:aws:codeconnections:…", "repository": "acme/golden-pipelines",
//	  "branch": "main", "canaryServices": ["orders"], "approvalAbove": 10
//	}
const PlatformContext = "golden-pipelines:platform"

// CDKCLIVersion is the CDK CLI the platform pipeline's steps install: the version package.json
// pins (a test keeps them equal).
const CDKCLIVersion = "2.1148.1"

// PlatformConfig is the platform pipeline's context.
type PlatformConfig struct {
	// Connection, Repository (owner/name) and Branch (default main) of this repository.
	Connection string `json:"connection"`
	Repository string `json:"repository"`
	Branch     string `json:"branch"`
	// CanaryServices are deployed first, alone, before every other service's pipeline.
	CanaryServices []string `json:"canaryServices"`
	// ApprovalAbove: a change of more pipeline stacks than this waits for a person (default 10).
	ApprovalAbove int `json:"approvalAbove"`
	// PullRequests: pull requests to the branch get a check (synth and diff, reported on the
	// pull request); Provider (and Host for a server of your own) as a service's source.
	PullRequests bool   `json:"pullRequests"`
	Provider     string `json:"provider"`
	Host         string `json:"host"`
}

// platformConfig reads PlatformContext: nil when it is not set; problems name the key, the
// field and the fix.
func platformConfig(app awscdk.App, services []spec.Service) (*PlatformConfig, error) {
	v := app.Node().TryGetContext(jsii.String(PlatformContext))
	if v == nil {
		return nil, nil
	}
	b, _ := json.Marshal(v)
	var c PlatformConfig
	problem := func(field, what, fix string) spec.Problem {
		return spec.Problem{Field: "context " + PlatformContext + field, What: what, Fix: fix}
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, spec.Problems{problem("", fmt.Sprintf("is not an object of connection, repository, branch, canaryServices, approvalAbove (%v)", err),
			`write e.g. {"connection": "arn:aws:codeconnections:…", "repository": "acme/golden-pipelines"}`)}
	}
	var problems spec.Problems
	if c.Branch == "" {
		c.Branch = spec.DefaultBranch
	}
	if c.ApprovalAbove == 0 {
		c.ApprovalAbove = 10
	}
	if c.ApprovalAbove < 0 {
		problems = append(problems, problem(".approvalAbove", fmt.Sprintf("%d is below 0", c.ApprovalAbove), "use 1 or more (0 for the default, 10)"))
	}
	if c.Connection == "" {
		problems = append(problems, problem(".connection", "is missing", "copy the connection's ARN from the Developer Tools console (Settings, Connections)"))
	}
	// The repository, branch and connection (with the pull-request check's provider and host)
	// follow the rules of a service's source, checked by the same validation: owner/name, a
	// connection ARN, a provider, a host exactly for a server of your own, no GitHub Enterprise
	// Server for the check (CloudFormation creates no webhook for it).
	probe := spec.Service{Name: "platform", Repository: c.Repository, Branch: c.Branch, Lambda: spec.Lambda{Runtime: "nodejs22.x", Handler: "index.handler"},
		Source: spec.Source{Connection: c.Connection, PullRequests: &c.PullRequests, Provider: c.Provider, Host: c.Host}}
	if err := probe.WithDefaults().Validate(); err != nil && c.Connection != "" {
		for _, p := range err.(spec.Problems) {
			if field, ok := strings.CutPrefix(p.Field, "source."); ok {
				problems = append(problems, problem("."+field, p.What, p.Fix))
			} else if p.Field == "repository" || p.Field == "branch" {
				problems = append(problems, problem("."+p.Field, p.What, p.Fix))
			}
		}
	}
	names := make([]string, len(services))
	for i, s := range services {
		names[i] = s.Name
	}
	for i, n := range c.CanaryServices {
		if !slices.Contains(names, n) {
			problems = append(problems, problem(fmt.Sprintf(".canaryServices[%d]", i), fmt.Sprintf("%q is not a service of the app", n),
				"name a service of pipelines/"+spec.DidYouMean(n, names)))
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return &c, nil
}

// addPlatform creates the platform pipeline's stack in the app's own account and region: the
// shared stacks, then the canary services' pipeline stacks (with their support stacks), then
// the rest; never a service stack.
func addPlatform(app awscdk.App, plan *plan, c *PlatformConfig, services []*Service) {
	var shared []string
	for _, e := range plan.envs {
		if e.shared != nil {
			shared = append(shared, e.stackID())
		}
	}
	canary, rest := platform.Wave{Name: "canary"}, platform.Wave{Name: "rest"}
	for _, s := range services {
		stacks := []string{s.Spec.PipelineStackName()}
		for _, support := range s.Pipeline.SupportStacks {
			stacks = append(stacks, *support.Node().Id())
		}
		if slices.Contains(c.CanaryServices, s.Spec.Name) {
			canary.Stacks = append(canary.Stacks, stacks...)
		} else {
			rest.Stacks = append(rest.Stacks, stacks...)
		}
	}
	var waves []platform.Wave
	for _, w := range []platform.Wave{canary, rest} {
		if len(w.Stacks) > 0 {
			waves = append(waves, w)
		}
	}
	stack := plan.stack(app, platform.StackName, platform.StackName, plan.app,
		"Golden pipelines: the platform pipeline, which releases this repository: itself first, then the shared stacks and the services' pipelines in waves ("+
			strings.Join(c.CanaryServices, ", ")+" first); never a service stack", nil)
	platform.NewPlatformPipeline(stack, "Platform", &platform.Props{
		Connection: c.Connection, Repository: c.Repository, Branch: c.Branch, CLIVersion: CDKCLIVersion,
		SharedStacks: shared, Waves: waves, ApprovalAbove: c.ApprovalAbove,
		PullRequests: c.PullRequests, SourceType: spec.Providers[c.Provider].SourceType, Location: c.repositoryURL(),
		PullRequestEvents: spec.PullRequestEvents(c.Provider),
	})
}

// repositoryURL is the repository's HTTPS clone URL at its provider.
func (c *PlatformConfig) repositoryURL() string {
	s := spec.Service{Repository: c.Repository, Source: spec.Source{Provider: c.Provider, Host: c.Host}}
	return s.RepositoryURL()
}
