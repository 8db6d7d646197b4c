package synth

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/policy"
	"github.com/golden-pipelines/microservice-pipelines/internal/testenv"
	"github.com/golden-pipelines/microservice-pipelines/stacks"
)

func TestMain(m *testing.M) {
	testenv.WithoutValidation()
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// entries lists a folder.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// Whatever fails — the build, the CDK while creating constructs or synthesizing, a template over
// a CloudFormation limit — nothing is left in the output folder but what was there (the CLI's
// lock file), and the error says what failed; a good run moves the assembly into place, manifest
// included, over an older one.
func TestFailedRunsLeaveNothing(t *testing.T) {
	out := t.TempDir()
	if err := os.WriteFile(filepath.Join(out, "synth.lock"), []byte("cli"), 0o644); err != nil {
		t.Fatal(err)
	}
	stack := func(app awscdk.App) awscdk.Stack { return awscdk.NewStack(app, jsii.String("svc-pipeline"), nil) }
	cases := []struct {
		name  string
		build func(awscdk.App) error
		want  string
	}{
		{"the build's own error", func(app awscdk.App) error { stack(app); return errors.New("bad definition") }, "bad definition"},
		{"a CDK error while creating constructs", func(app awscdk.App) error {
			awscdk.NewStack(app, jsii.String("bad name!"), nil)
			return nil
		}, "Stack name must match the regular expression"},
		{"a CDK error while synthesizing", func(app awscdk.App) error {
			s := stack(app)
			for i := 0; i <= MaxResources; i++ {
				awscdk.NewCfnWaitConditionHandle(s, jsii.String(fmt.Sprint("Handle", i)), nil)
			}
			return nil
		}, "Number of resources in stack 'svc-pipeline': 501 is greater than allowed maximum of 500"},
		{"a template over 1 MB", func(app awscdk.App) error {
			awscdk.NewCfnResource(stack(app), jsii.String("Big"), &awscdk.CfnResourceProps{Type: jsii.String("AWS::SSM::Parameter"),
				Properties: &map[string]interface{}{"Type": "String", "Value": strings.Repeat("x", MaxTemplateBytes)}})
			return nil
		}, "stack svc-pipeline: has a template of"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Run(Options{Outdir: out}, c.build)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("want an error with %q, got %v", c.want, err)
			}
			if got := entries(t, out); len(got) != 1 || got[0] != "synth.lock" {
				t.Errorf("left behind: %v", got)
			}
		})
	}
	for i := 0; i < 2; i++ {
		got, err := Run(Options{Outdir: out}, func(app awscdk.App) error {
			awscdk.NewCfnWaitConditionHandle(stack(app), jsii.String("Handle"), nil)
			return nil
		})
		if err != nil || got != out {
			t.Fatalf("a good run: %q, %v", got, err)
		}
		names := strings.Join(entries(t, out), " ")
		if !strings.Contains(names, "manifest.json") || !strings.Contains(names, "svc-pipeline.template.json") ||
			!strings.Contains(names, "synth.lock") || strings.Contains(names, ".synth-") {
			t.Errorf("run %d left %s", i+1, names)
		}
	}
}

// A golden rule's violation fails the synthesis: its report is kept for the user to read,
// nothing else.
func TestAViolationKeepsItsReportOnly(t *testing.T) {
	out := t.TempDir()
	_, err := Run(Options{Outdir: out}, func(app awscdk.App) error {
		policy.Register(app)
		awss3.NewBucket(awscdk.NewStack(app, jsii.String("svc-pipeline"), nil), jsii.String("Plain"), nil)
		return nil
	})
	var synthErr Error
	if !errors.As(err, &synthErr) || !strings.Contains(synthErr.Message, filepath.Join(out, validationReport)) ||
		len(synthErr.Violations) != 2 || synthErr.Violations[1].Stack != "svc-pipeline" ||
		synthErr.Violations[1].Rule != "buckets-ssl-only" || !strings.HasPrefix(synthErr.Violations[1].Fix, "create the bucket with enforceSSL") {
		t.Errorf("got %#v", err)
	}
	if got := entries(t, out); len(got) != 1 || got[0] != validationReport {
		t.Errorf("left %v", got)
	}
}

// A CDK error raised inside stacks.AddServices' catching names the service and the stack.
func TestConstructionErrorsAreCaught(t *testing.T) {
	_, err := Run(Options{Outdir: t.TempDir()}, func(app awscdk.App) error {
		panic(fmt.Errorf("Error: boom\n    at Object.<anonymous> (/tmp/x.js:1:1)\n    at node:internal/main"))
	})
	var cdk stacks.CDKErrors
	if !errors.As(err, &cdk) || cdk[0].Message != "Error: boom" {
		t.Errorf("got %#v", err)
	}
}
