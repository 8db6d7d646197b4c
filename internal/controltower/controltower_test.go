package controltower

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/golden-pipelines/microservice-pipelines/internal/assembly"
)

func guard(t *testing.T) *Guard {
	t.Helper()
	g, err := Find(".")
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// Every rule file of the package is a control with its ID, name and the resource types it reads.
func TestLoadReadsEveryRuleFile(t *testing.T) {
	g := guard(t)
	files, err := filepath.Glob(filepath.Join(filepath.Dir(g.Binary), "..", "..", "..", "rules", "control-tower", "cfn-guard", "*", "*.guard"))
	if err != nil || len(files) < 200 {
		t.Fatalf("want the package's 200+ rule files, have %d (%v)", len(files), err)
	}
	if len(g.Controls) != len(files) {
		t.Errorf("%d controls from %d rule files", len(g.Controls), len(files))
	}
	for id, c := range g.Controls {
		if !strings.HasPrefix(id, "CT.") || c.Name == "" || len(c.Types) == 0 {
			t.Errorf("control %s: name %q, types %v", id, c.Name, c.Types)
		}
	}
	c := g.Controls["CT.CLOUDWATCH.PR.1"]
	if c == nil || !strings.HasPrefix(c.URL, "https://docs.aws.amazon.com/controltower/") || !slices.Equal(c.Types, []string{"AWS::CloudWatch::Alarm"}) {
		t.Errorf("CT.CLOUDWATCH.PR.1: %+v", c)
	}
}

// A control runs on a template that has a resource type it reads, named in its metadata or in
// its code: CT.S3.PR.8 reports on bucket policies but reads buckets too.
func TestApplicableControlsFollowTheResourceTypes(t *testing.T) {
	g := guard(t)
	ids := func(types ...string) []string {
		s := &Stack{resources: map[string]assembly.Resource{}}
		for i, typ := range types {
			s.resources[string(rune('A'+i))] = assembly.Resource{Type: typ}
		}
		var out []string
		for _, c := range g.Applicable(s) {
			out = append(out, c.ID)
		}
		return out
	}
	alarms := ids("AWS::CloudWatch::Alarm")
	if !slices.Contains(alarms, "CT.CLOUDWATCH.PR.1") || slices.Contains(alarms, "CT.LAMBDA.PR.3") {
		t.Errorf("controls for an alarm: %v", alarms)
	}
	if buckets := ids("AWS::S3::Bucket"); !slices.Contains(buckets, "CT.S3.PR.8") || !slices.Contains(buckets, "CT.S3.PR.1") {
		t.Errorf("controls for a bucket: %v", buckets)
	}
	if none := ids("AWS::SSM::Parameter"); len(none) != 0 {
		t.Errorf("controls for a parameter: %v", none)
	}
}

// The check runs cfn-guard over every stack of an assembly and names each failing resource
// by control, stack, logical ID and construct path; compliant resources are not reported.
func TestCheckNamesTheFailingResources(t *testing.T) {
	g := guard(t)
	stacks, findings, err := g.CheckAssembly("testdata/assembly")
	if err != nil {
		t.Fatal(err)
	}
	if len(stacks) != 2 || !stacks[0].EnvironmentAgnostic || stacks[1].EnvironmentAgnostic {
		t.Fatalf("stacks: %+v", stacks)
	}
	var got []string
	for _, f := range findings {
		got = append(got, f.Control.ID+" "+f.Stack.Name+" "+f.LogicalID+" "+f.Path+" "+f.Type)
	}
	want := []string{
		"CT.CLOUDWATCH.PR.1 agnostic SilentAlarm agnostic/Service/SilentAlarm/Resource AWS::CloudWatch::Alarm",
		"CT.CLOUDWATCH.PR.1 regional SilentAlarm regional/Service/SilentAlarm/Resource AWS::CloudWatch::Alarm",
		"CT.LAMBDA.PR.3 regional Function regional/Service/Function/Resource AWS::Lambda::Function",
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// An acknowledgement covers its control only where its scope says: the resources whose
// construct path matches, and, if so limited, environment-agnostic stacks.
func TestTriageHonoursTheScope(t *testing.T) {
	g := guard(t)
	_, findings, err := g.CheckAssembly("testdata/assembly")
	if err != nil {
		t.Fatal(err)
	}
	acks := []Acknowledgement{
		{Control: "CT.CLOUDWATCH.PR.1", Resources: `agnostic/.*`, EnvironmentAgnosticOnly: true, Reason: "r"},
		{Control: "CT.LAMBDA.PR.3", Resources: `regional/Service/Other/Resource`, Reason: "r"},
	}
	open, covered := Triage(findings, acks)
	var openIDs []string
	for _, f := range open {
		openIDs = append(openIDs, f.Control.ID+" "+f.Stack.Name)
	}
	if !slices.Equal(openIDs, []string{"CT.CLOUDWATCH.PR.1 regional", "CT.LAMBDA.PR.3 regional"}) || len(covered[0]) != 1 || len(covered[1]) != 0 {
		t.Errorf("open %v, covered %d and %d", openIDs, len(covered[0]), len(covered[1]))
	}
	// A scope limited to environment-agnostic stacks does not cover a regional one.
	open, _ = Triage(findings, []Acknowledgement{{Control: "CT.CLOUDWATCH.PR.1", EnvironmentAgnosticOnly: true}})
	if len(open) != 2 || open[0].Stack.Name != "regional" {
		t.Errorf("open %v", open)
	}
}

// An acknowledgement limited to a tag covers only findings on resources with that tag: a
// pre-production stage's resources, whatever the stage is called.
func TestTriageHonoursTheTag(t *testing.T) {
	c := &Control{ID: "CT.ELASTICLOADBALANCING.PR.5"}
	findings := []Finding{
		{Control: c, Stack: &Stack{Name: "svc-dev"}, Path: "svc-dev/Service/LoadBalancer/Resource", Tags: map[string]string{"role": "pre-production"}},
		{Control: c, Stack: &Stack{Name: "svc-production"}, Path: "svc-production/Service/LoadBalancer/Resource", Tags: map[string]string{"role": "production"}},
		{Control: c, Stack: &Stack{Name: "svc-staging"}, Path: "svc-staging/Service/LoadBalancer/Resource"},
	}
	open, covered := Triage(findings, []Acknowledgement{{Control: c.ID, Resources: `[^/]+/Service/LoadBalancer/Resource`, Tag: "role=pre-production", Reason: "r"}})
	if len(covered[0]) != 1 || covered[0][0].Stack.Name != "svc-dev" || len(open) != 2 {
		t.Errorf("covered %v, open %v", covered[0], open)
	}
}

// A control cannot be acknowledged without a reason, under an unknown ID, with a scope that
// does not compile, or twice.
func TestValidateRefusesBadAcknowledgements(t *testing.T) {
	g := guard(t)
	if err := Validate(Acknowledgements, g); err != nil {
		t.Errorf("the project's acknowledgements: %v", err)
	}
	reason := "a reason long enough to say why the control does not fit"
	err := Validate([]Acknowledgement{
		{Control: "CT.LAMBDA.PR.3"},
		{Control: "CT.NOPE.PR.1", Reason: reason},
		{Control: "CT.S3.PR.2", Resources: "(", Reason: reason},
		{Control: "CT.S3.PR.9", Reason: reason},
		{Control: "CT.S3.PR.9", Reason: reason},
		{Control: "CT.S3.PR.10", Tag: "role", Reason: reason},
	}, g)
	for _, want := range []string{
		"acknowledgement 1 (CT.LAMBDA.PR.3): no reason",
		"acknowledgement 2 (CT.NOPE.PR.1): no such control",
		"acknowledgement 3 (CT.S3.PR.2): resources: error parsing regexp",
		"acknowledgement 5 (CT.S3.PR.9): acknowledged twice",
		`acknowledgement 6 (CT.S3.PR.10): tag "role": want key=value`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in %v", want, err)
		}
	}
}

// The table names each control with its documentation link and escapes the cells' pipes.
func TestMarkdown(t *testing.T) {
	g := guard(t)
	md := Markdown([]Acknowledgement{{Control: "CT.S3.PR.2", Resources: "a|b", EnvironmentAgnosticOnly: true, Reason: "x | y"}}, g)
	c := g.Controls["CT.S3.PR.2"]
	want := "| control | requires | where | why not |\n| --- | --- | --- | --- |\n" +
		"| [CT.S3.PR.2](" + c.URL + ") | " + c.Name + " | `a\\|b`, environment-agnostic stacks only | x \\| y |\n"
	if md != want {
		t.Errorf("got\n%s\nwant\n%s", md, want)
	}
}
