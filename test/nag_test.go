package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// synthNagged synthesizes the services with cdk-nag's AwsSolutions pack applied to every
// stack. Its findings become annotations (errors and warnings) in the cloud assembly's
// metadata; they are kept out of the validation report so that a finding fails the test that
// lists them, not the synthesis.
func synthNagged(outdir string, services []spec.Service) *synthesized {
	return synthNaggedIn(outdir, services, nil)
}

// synthNaggedIn is synthNagged for an account and region (nil: environment-agnostic).
func synthNaggedIn(outdir string, services []spec.Service, env *awscdk.Environment) *synthesized {
	return synthNaggedWith(outdir, services, env, nil)
}

// synthNaggedWith is synthNaggedIn with context beside cdk.json's.
func synthNaggedWith(outdir string, services []spec.Service, env *awscdk.Environment, context map[string]interface{}) *synthesized {
	ctx := map[string]interface{}{"@aws-cdk/core:annotationsInValidationReport": false}
	for k, v := range context {
		ctx[k] = v
	}
	return synthFull(outdir, services, env, ctx,
		func(app awscdk.App) {
			awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Reports: jsii.Bool(false), LogIgnores: jsii.Bool(true)}), nil)
		})
}

// suppressedRE matches what cdk-nag logs (LogIgnores) for a finding a suppression covers.
var suppressedRE = regexp.MustCompile(`^CdkNagSuppression(?:\[[^\]]*\])?: (AwsSolutions-[A-Za-z0-9]+) was triggered but suppressed`)

// nagFinding is one cdk-nag annotation on a construct.
type nagFinding struct{ level, path, message string }

// nagFindings reads the cdk-nag errors and warnings from the assembly's per-stack metadata
// files (<stack>.metadata.json: construct path -> entries).
func nagFindings(t *testing.T, s *synthesized) []nagFinding {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(s.dir, "*.metadata.json"))
	if err != nil || len(files) != len(s.templates) {
		t.Fatalf("want a metadata file per stack (%d), have %d: %v", len(s.templates), len(files), err)
	}
	var out []nagFinding
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var metadata map[string][]struct {
			Type string      `json:"type"`
			Data interface{} `json:"data"`
		}
		if err := json.Unmarshal(b, &metadata); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for path, entries := range metadata {
			for _, e := range entries {
				msg, _ := e.Data.(string)
				if strings.Contains(msg, "AwsSolutions-") {
					out = append(out, nagFinding{e.Type, path, msg})
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path+out[i].message < out[j].path+out[j].message })
	return out
}

// Every stack of the example app is clean under cdk-nag's AwsSolutions pack, synthesized
// environment-agnostic (as the tests and CI do) and for an account and region (as cdk deploy
// does): no unsuppressed error or warning. Each suppression sits next to its resource with the
// rule and the reason.
func TestAwsSolutionsNagClean(t *testing.T) {
	for _, c := range []struct {
		name  string
		app   *synthesized
		rules []string
	}{
		{"environment-agnostic", fixtureAgain, []string{"AwsSolutions-IAM5", "AwsSolutions-IAM4", "AwsSolutions-L1", "AwsSolutions-EC23", "AwsSolutions-ECS2", "AwsSolutions-ELB2"}},
		{"eu-west-1", regional, []string{"AwsSolutions-IAM5", "AwsSolutions-IAM4", "AwsSolutions-L1", "AwsSolutions-EC23", "AwsSolutions-ECS2", "AwsSolutions-S1"}},
		{"other accounts and regions", staged, []string{"AwsSolutions-IAM5", "AwsSolutions-IAM4", "AwsSolutions-L1", "AwsSolutions-EC23", "AwsSolutions-ECS2"}},
	} {
		suppressed := map[string]int{}
		for _, f := range nagFindings(t, c.app) {
			if f.level == "aws:cdk:info" {
				// LogIgnores: a suppressed finding is logged as information.
				if m := suppressedRE.FindStringSubmatch(f.message); m != nil {
					suppressed[m[1]]++
				}
				continue
			}
			t.Errorf("%s: %s %s: %s", c.name, f.level, f.path, strings.SplitN(f.message, "\n", 2)[0])
		}
		// The pack ran and honoured the suppressions written next to the resources.
		for _, rule := range c.rules {
			if suppressed[rule] == 0 {
				t.Errorf("%s: no suppressed %s finding logged: did cdk-nag run and read the suppressions?", c.name, rule)
			}
		}
	}
	if len(fixtureAgain.templates) != len(fixture.templates) {
		t.Fatalf("nag synth has %d stacks, the example app %d", len(fixtureAgain.templates), len(fixture.templates))
	}
}
