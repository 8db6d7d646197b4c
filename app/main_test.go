package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
	"github.com/golden-pipelines/microservice-pipelines/internal/testenv"
	"github.com/golden-pipelines/microservice-pipelines/pipelines"
)

func TestMain(m *testing.M) {
	testenv.WithoutValidation()
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// The app synthesizes the example definitions into the output folder; a bad definition, or an
// error the CDK raises while synthesizing, exits 1 with the definition file it comes from,
// without a trace, and leaves no cloud assembly.
func TestTheAppReportsEveryFailureAndLeavesNothing(t *testing.T) {
	one := func() ([]spec.Service, error) {
		all, err := pipelines.All()
		for _, s := range all {
			if s.Name == "orders" {
				return []spec.Service{s}, err
			}
		}
		return nil, err
	}
	var stderr bytes.Buffer
	out := t.TempDir()
	if code := run(&stderr, one, out, nil); code != 0 {
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
	stderr.Reset()
	if code := run(&stderr, one, out, map[string]interface{}{"@aws-cdk/core:stackResourceLimit": 10}); code != 1 {
		t.Errorf("exit %d", code)
	}
	msg := stderr.String()
	if !strings.Contains(msg, "pipelines/orders.yaml: the CDK refused it while synthesizing: TooManyResourcesInStack: Number of resources in stack 'orders-pipeline'") ||
		strings.Contains(msg, "goroutine") || strings.Contains(msg, "    at ") {
		t.Errorf("message: %s", msg)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("a failed run left %v", entries)
	}
}
