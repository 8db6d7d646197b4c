package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
	"github.com/golden-pipelines/microservice-pipelines/internal/synth"
	"github.com/golden-pipelines/microservice-pipelines/internal/testenv"
	"github.com/golden-pipelines/microservice-pipelines/pipelines"
	"github.com/golden-pipelines/microservice-pipelines/stacks"
)

func TestMain(m *testing.M) {
	testenv.WithoutValidation()
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// The app synthesizes the example definitions (every one, golden rules on) into the output
// folder; a bad definition, or an
// error the CDK raises while synthesizing, exits 1 with the definition file it comes from,
// without a trace, and leaves no cloud assembly.
func TestTheAppReportsEveryFailureAndLeavesNothing(t *testing.T) {
	var stderr bytes.Buffer
	out := t.TempDir()
	if code := run(&stderr, pipelines.All, out, nil); code != 0 {
		t.Fatalf("exit %d: %s", code, &stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "manifest.json")); err != nil {
		t.Errorf("no manifest after a good run: %v", err)
	}

	stderr.Reset()
	bad := func() ([]spec.Service, error) {
		return pipelines.Load([]pipelines.File{{Name: "pipelines/orders.yaml", Data: []byte("name: orders\nbranch: \"main\\L//\"\n")}})
	}
	out = t.TempDir()
	if code := run(&stderr, bad, out, nil); code != 1 || !strings.Contains(stderr.String(), "pipelines/orders.yaml:2:1: branch: holds the line separator U+2028") {
		t.Errorf("exit %d: %s", code, &stderr)
	}

	// The CDK's own limit, lowered: it throws while synthesizing the pipeline stack.
	one := func() ([]spec.Service, error) {
		return pipelines.Load([]pipelines.File{{Name: "pipelines/limits.yaml", Data: []byte("name: limits\nlambda: {runtime: nodejs22.x, handler: index.handler}\n")}})
	}
	stderr.Reset()
	if code := run(&stderr, one, out, map[string]interface{}{"@aws-cdk/core:stackResourceLimit": 10}); code != 1 {
		t.Errorf("exit %d", code)
	}
	msg := stderr.String()
	if !strings.Contains(msg, "pipelines/limits.yaml: the CDK refused it while synthesizing: TooManyResourcesInStack: Number of resources in stack 'limits-pipeline'") ||
		strings.Contains(msg, "goroutine") || strings.Contains(msg, "    at ") {
		t.Errorf("message: %s", msg)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("a failed run left %v", entries)
	}
}

// A golden rule's violation, a template over a limit and a CDK error are each placed in the
// file (and environment) of the stack they name.
func TestReportPlacesErrorsInTheirFiles(t *testing.T) {
	services := []spec.Service{spec.Service{Name: "orders"}.WithDefaults(), spec.Service{Name: "catalog"}.WithDefaults()}
	cases := []struct {
		err  error
		want string
	}{
		{synth.Error{Message: "ValidationFailed", Violations: []synth.Violation{{Stack: "orders-production", Path: "orders-production/Service/Bucket",
			Rule: "buckets-ssl-only", Description: "no TLS", Fix: "enforce SSL"}}},
			"pipelines/orders.yaml: production: orders-production/Service/Bucket breaks the golden rule buckets-ssl-only: no TLS; fix: enforce SSL"},
		{synth.Problems{{Stack: "catalog-pipeline", What: "has 501 resources", Fix: "fewer"}},
			"pipelines/catalog.yaml: stack catalog-pipeline has 501 resources; fix: fewer"},
		{synth.Problems{{Stack: "golden-pipelines-shared", What: "has 501 resources", Fix: "fewer"}},
			"pipelines/: stack golden-pipelines-shared has 501 resources; fix: fewer"},
		{stacks.CDKErrors{{Service: "catalog", Stack: "catalog-staging", Message: "Dimension value must be at most 255"}},
			"pipelines/catalog.yaml: staging: the CDK refused it while creating stack catalog-staging: Dimension value must be at most 255"},
		{synth.Error{Message: "TooManyResourcesInStack: Number of resources in stack 'catalog-staging': 501"},
			"pipelines/catalog.yaml: staging: the CDK refused it while synthesizing: TooManyResourcesInStack"},
	}
	for _, c := range cases {
		if got := report(c.err, services).Error(); !strings.Contains(got, c.want) {
			t.Errorf("want %q in\n%s", c.want, got)
		}
	}
}
