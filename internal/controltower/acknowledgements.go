package controltower

import (
	"fmt"
	"regexp"
	"strings"
)

// Acknowledgement names a control a golden pipeline does not satisfy by design, why, and
// where. A finding it covers does not fail the check; every other finding does.
type Acknowledgement struct {
	// Control is the control's ID, e.g. CT.LAMBDA.PR.3.
	Control string
	// Reason says why the control does not fit, and what an account that enforces it does.
	Reason string
	// Resources limits the acknowledgement to the resources whose construct path matches this
	// regular expression (anchored at both ends); empty: every resource the control reports.
	Resources string
	// Tag limits it to resources with that tag ("key=value", e.g. "role=pre-production": the
	// stack tags the CDK applies to every taggable resource).
	Tag string
	// EnvironmentAgnosticOnly limits it to stacks synthesized without an account and region.
	EnvironmentAgnosticOnly bool
}

// Acknowledgements are the controls a golden pipeline does not satisfy, each with its reason;
// docs/security.md's table is rendered from them (Markdown). A control missing here fails the check
// wherever it fires; an acknowledgement no example stack needs fails the tests (stale).
var Acknowledgements = []Acknowledgement{
	{
		Control: "CT.CLOUDWATCH.PR.2",
		Reason: "Log retention is each service's choice: `logRetentionDays` (default 30 days) for its build, deploy, function, hook, " +
			"container and VPC flow logs; logs are for operating the service, and a year of them is a cost every service would pay. " +
			"The shared delivery events keep 400 days. An account that enforces this control sets `logRetentionDays: 365` (or more) in every definition.",
	},
	{
		Control:   "CT.CODEBUILD.PR.4",
		Resources: `[^/]+-pipeline/Pipeline/Build/Resource`,
		Reason: "A container service's build runs `docker build`, and CodeBuild runs the Docker daemon only in privileged mode. " +
			"Only that project is privileged: the golden rule `privileged-builds` refuses privileged mode on any project whose buildspec builds no image.",
	},
	{
		Control:   "CT.ELASTICLOADBALANCING.PR.1",
		Resources: `[^/]+/Service/LoadBalancer/(Listener|TestListener)/Resource`,
		Reason: "A definition gives no certificate, so a load balancer has no HTTPS listener to redirect to: its listeners serve HTTP, " +
			"and TLS must be terminated in front of it (docs/development.md, Limits). A redirect to HTTPS without a certificate would fail every request.",
	},
	{
		Control:   "CT.ELASTICLOADBALANCING.PR.5",
		Resources: `[^/]+/Service/LoadBalancer/Resource`,
		Tag:       "role=pre-production",
		Reason: "Load balancers of pre-production stages carry no deletion protection, so that `cdk destroy` removes such a stack in one step; " +
			"production stages' load balancers have it (a production stack is destroyed only after turning it off: docs/security.md, Hardening).",
	},
	{
		Control:                 "CT.ELASTICLOADBALANCING.PR.6",
		Resources:               `[^/]+/Service/LoadBalancer/Resource`,
		EnvironmentAgnosticOnly: true,
		Reason: "Environment-agnostic synth only (CI's, without credentials): the access-log bucket's policy names the Region's " +
			"Elastic Load Balancing log-delivery account, unknown without a Region. `cdk deploy` synthesizes with the account and Region, " +
			"and then every load balancer logs to its access-log bucket (the tests check a synth for eu-west-1).",
	},
	{
		Control: "CT.LAMBDA.PR.3",
		Reason: "Lambda services get no VPC: their functions and hooks reach AWS services over their public, IAM-authenticated TLS " +
			"endpoints, and in a VPC they would need NAT gateways or VPC endpoints in every environment for that. The other functions " +
			"are the CDK's custom-resource providers (release parameters, the VPC default security group), which only call AWS APIs " +
			"while a stack deploys. A service that must reach private resources needs a VPC option, which definitions do not offer yet.",
	},
	{
		Control:   "CT.S3.PR.2",
		Resources: `[^/]+/(Pipeline|Service|Service/Synthetics|TargetAccess|ArtifactStore|Platform)/AccessLogs/Resource`,
		Reason: "The access-log bucket receives the other buckets' server access logs and the load balancer's logs; " +
			"logging its own access would take another log bucket, and that one another.",
	},
	{
		Control: "CT.S3.PR.9",
		Reason: "Object Lock keeps objects that must not be deleted for a retention period; S3 cannot deliver server access logs " +
			"to a bucket with Object Lock, pipeline artifacts expire after 30 days, and release packages are already never overwritten " +
			"(conditional writes), versioned and retained. Object Lock cannot be turned off once on.",
	},
	{
		Control:   "CT.S3.PR.10",
		Resources: `[^/]+/(Pipeline|Service|Service/Synthetics|TargetAccess|ArtifactStore|Platform)/AccessLogs/Resource`,
		Reason: "S3 server access logs and load balancer access logs are delivered only to buckets encrypted with S3-managed keys (SSE-S3); " +
			"every other bucket uses the pipeline's KMS key (golden rule `storage-encrypted`).",
	},
}

// Covers reports whether the acknowledgement covers a finding.
func (a Acknowledgement) Covers(f Finding) bool {
	if f.Control.ID != a.Control || (a.EnvironmentAgnosticOnly && !f.Stack.EnvironmentAgnostic) {
		return false
	}
	if a.Tag != "" {
		k, v, _ := strings.Cut(a.Tag, "=")
		if got, ok := f.Tags[k]; !ok || got != v {
			return false
		}
	}
	return a.Resources == "" || regexp.MustCompile(`^(?:`+a.Resources+`)$`).MatchString(f.Path)
}

// Triage splits findings into those no acknowledgement covers and, per acknowledgement (by
// index), those it covers.
func Triage(findings []Finding, acks []Acknowledgement) (open []Finding, covered [][]Finding) {
	covered = make([][]Finding, len(acks))
	for _, f := range findings {
		matched := false
		for i, a := range acks {
			if a.Covers(f) {
				covered[i] = append(covered[i], f)
				matched = true
				break
			}
		}
		if !matched {
			open = append(open, f)
		}
	}
	return open, covered
}

// Validate checks acknowledgements against the controls the package ships: every one names a
// known control and a reason, its scope compiles, and no control is acknowledged twice for the
// same scope.
func Validate(acks []Acknowledgement, g *Guard) error {
	var problems []string
	seen := map[string]bool{}
	for i, a := range acks {
		where := fmt.Sprintf("acknowledgement %d (%s)", i+1, a.Control)
		if g.Controls[a.Control] == nil {
			problems = append(problems, where+": no such control in "+PackageDir)
		}
		if len(strings.Fields(a.Reason)) < 8 {
			problems = append(problems, where+": no reason (a sentence of 8 words or more saying why the control does not fit)")
		}
		if _, err := regexp.Compile(a.Resources); err != nil {
			problems = append(problems, fmt.Sprintf("%s: resources: %v", where, err))
		}
		if k, v, ok := strings.Cut(a.Tag, "="); a.Tag != "" && (!ok || k == "" || v == "") {
			problems = append(problems, fmt.Sprintf("%s: tag %q: want key=value", where, a.Tag))
		}
		key := fmt.Sprintf("%s %s %s %v", a.Control, a.Resources, a.Tag, a.EnvironmentAgnosticOnly)
		if seen[key] {
			problems = append(problems, where+": acknowledged twice for the same resources")
		}
		seen[key] = true
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return nil
}

// Markdown renders the acknowledgements as docs/security.md's table.
func Markdown(acks []Acknowledgement, g *Guard) string {
	var b strings.Builder
	b.WriteString("| control | requires | where | why not |\n| --- | --- | --- | --- |\n")
	for _, a := range acks {
		c := g.Controls[a.Control]
		id, name := a.Control, ""
		if c != nil {
			name = c.Name
			if c.URL != "" {
				id = "[" + a.Control + "](" + c.URL + ")"
			}
		}
		where := "every resource it checks"
		if a.Resources != "" {
			where = "`" + a.Resources + "`"
		}
		if a.Tag != "" {
			where += ", tagged `" + a.Tag + "`"
		}
		if a.EnvironmentAgnosticOnly {
			where += ", environment-agnostic stacks only"
		}
		esc := strings.NewReplacer("|", `\|`)
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", id, name, esc.Replace(where), esc.Replace(a.Reason))
	}
	return b.String()
}
