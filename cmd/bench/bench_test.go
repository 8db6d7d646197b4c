package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/cmd/bench/baseline"
	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
	"github.com/golden-pipelines/microservice-pipelines/internal/cdkjson"
	"github.com/golden-pipelines/microservice-pipelines/internal/testenv"
	"github.com/golden-pipelines/microservice-pipelines/stacks"
)

// sameResourcesServices is how many generated services the baseline check synthesizes: the
// first four cover a rich and a lean service of each kind, so every feature the generator uses.
const sameResourcesServices = 4

// project and base are the resource counts (stack -> CloudFormation type -> count) of the first
// generated services, synthesized once by the project and by the baseline.
var project, base map[string]map[string]int

func TestMain(m *testing.M) {
	testenv.WithoutValidation()
	tmp, err := os.MkdirTemp("", "golden-pipelines-bench-test-")
	if err != nil {
		panic(err)
	}
	services := generate(sameResourcesServices)
	project = synthCounts(filepath.Join(tmp, "project"), func(app awscdk.App) {
		specs := make([]spec.Service, len(services))
		for i, g := range services {
			specs[i] = g.spec
		}
		if _, err := stacks.AddServices(app, specs, nil); err != nil {
			panic(err)
		}
	})
	base = synthCounts(filepath.Join(tmp, "baseline"), func(app awscdk.App) {
		bases := make([]baseline.Service, len(services))
		for i, g := range services {
			bases[i] = g.baseline
		}
		baseline.Add(app, bases)
	})
	code := m.Run()
	jsii.Close()
	os.RemoveAll(tmp)
	os.Exit(code)
}

func synthCounts(outdir string, build func(awscdk.App)) map[string]map[string]int {
	ctx, err := cdkjson.Context("../../cdk.json")
	if err != nil {
		panic(err)
	}
	ctx = cdkjson.WithoutAppSettings(ctx)
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir), Context: &ctx})
	build(app)
	app.Synth(nil)
	files, err := filepath.Glob(filepath.Join(outdir, "*.template.json"))
	if err != nil || len(files) == 0 {
		panic(fmt.Sprintf("no templates in %s: %v", outdir, err))
	}
	out := map[string]map[string]int{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			panic(err)
		}
		var t struct {
			Resources map[string]struct{ Type string } `json:"Resources"`
		}
		if err := json.Unmarshal(b, &t); err != nil {
			panic(err)
		}
		counts := map[string]int{}
		for _, r := range t.Resources {
			counts[r.Type]++
		}
		out[strings.TrimSuffix(filepath.Base(f), ".template.json")] = counts
	}
	return out
}

// The baseline is the yardstick of the project's overhead only while it declares what the
// project declares: the same stacks, and in each the same number of resources of each type.
// When the constructs gain or lose resources, change package baseline to match.
func TestBaselineDeclaresTheSameResources(t *testing.T) {
	var stackNames []string
	for s := range project {
		stackNames = append(stackNames, s)
	}
	for s := range base {
		if _, ok := project[s]; !ok {
			stackNames = append(stackNames, s)
		}
	}
	sort.Strings(stackNames)
	for _, s := range stackNames {
		p, okP := project[s]
		b, okB := base[s]
		switch {
		case !okB:
			t.Errorf("stack %s: the project has it, the baseline does not", s)
			continue
		case !okP:
			t.Errorf("stack %s: the baseline has it, the project does not", s)
			continue
		}
		types := map[string]bool{}
		for k := range p {
			types[k] = true
		}
		for k := range b {
			types[k] = true
		}
		var sorted []string
		for k := range types {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, typ := range sorted {
			if p[typ] != b[typ] {
				t.Errorf("stack %s: %d %s in the project, %d in the baseline (cmd/bench/baseline must declare what the constructs declare)", s, p[typ], typ, b[typ])
			}
		}
	}
	if len(project) != 1+3*sameResourcesServices {
		t.Errorf("the project synthesized %d stacks for %d services, want %d", len(project), sameResourcesServices, 1+3*sameResourcesServices)
	}
}

// The generated services are valid definitions with every field set (so the project's
// defaults change nothing, and the baseline, which has no defaults, describes the same
// service), half of them Lambda and half containers, and the first four cover every feature.
func TestGeneratedServices(t *testing.T) {
	services := generate(200)
	specs := make([]spec.Service, len(services))
	containers := 0
	for i, g := range services {
		specs[i] = g.spec
		if !reflect.DeepEqual(g.spec, g.spec.WithDefaults()) {
			t.Errorf("%s: a field is left to its default", g.spec.Name)
		}
		if g.spec.IsContainer() {
			containers++
			if g.baseline.Container == nil || g.baseline.Lambda != nil {
				t.Errorf("%s: the baseline is not a container service", g.spec.Name)
			}
		} else if g.baseline.Lambda == nil || g.baseline.Container != nil {
			t.Errorf("%s: the baseline is not a Lambda service", g.spec.Name)
		}
		if g.baseline.Name != g.spec.Name || len(g.baseline.Environments) != 2 {
			t.Errorf("%s: the baseline is %q with %d environments", g.spec.Name, g.baseline.Name, len(g.baseline.Environments))
		}
	}
	if err := spec.ValidateAll(specs); err != nil {
		t.Fatalf("generated services are invalid: %v", err)
	}
	if containers != 100 {
		t.Errorf("%d of 200 services are containers, want 100", containers)
	}
	// Every feature that adds resources appears among the services TestMain synthesizes.
	first := generate(sameResourcesServices)
	has := map[string]bool{}
	for _, g := range first {
		s := g.spec
		kind := "lambda"
		if s.IsContainer() {
			kind = "container"
		}
		d := s.WithDefaults()
		tested, approved := len(d.Stages[0].IntegrationTest.Commands) > 0, d.Stages[1].ApprovalRequired()
		has[kind+" integration test"] = has[kind+" integration test"] || tested
		has[kind+" no integration test"] = has[kind+" no integration test"] || !tested
		has[kind+" approval"] = has[kind+" approval"] || approved
		has[kind+" no approval"] = has[kind+" no approval"] || !approved
		n := s.Notifications
		subscribers := len(n.Emails) > 0 && len(n.Webhooks) > 0 && len(n.SlackChannels) > 0
		has[kind+" every kind of subscriber"] = has[kind+" every kind of subscriber"] || subscribers
		has[kind+" no subscribers"] = has[kind+" no subscribers"] || len(n.Emails)+len(n.Webhooks)+len(n.SlackChannels) == 0
		secrets := s.Lambda.Secrets
		if s.IsContainer() {
			secrets = s.Container.Secrets
		}
		kinds := map[bool]bool{}
		for _, sec := range secrets {
			kinds[sec.SecretsManager != ""] = true
		}
		has[kind+" both kinds of secret"] = has[kind+" both kinds of secret"] || len(kinds) == 2
		has[kind+" no secrets"] = has[kind+" no secrets"] || len(secrets) == 0
		for _, e := range d.Stages {
			has[kind+" custom shift"] = has[kind+" custom shift"] || e.Deployment.Custom != nil
			has[kind+" predefined shift"] = has[kind+" predefined shift"] || e.Deployment.Custom == nil
			has[kind+" custom alarm"] = has[kind+" custom alarm"] || len(e.Alarms.Custom) > 0
			has[kind+" hooks"] = has[kind+" hooks"] || e.Hooks != spec.Hooks{}
			has[kind+" no hooks"] = has[kind+" no hooks"] || e.Hooks == spec.Hooks{}
		}
		if s.IsContainer() {
			has["container base image"] = has["container base image"] || s.Container.BaseImage != nil
			has["container no base image"] = has["container no base image"] || s.Container.BaseImage == nil
		} else {
			for _, e := range d.Stages {
				has["lambda both hooks"] = has["lambda both hooks"] || e.Hooks.PreTraffic != "" && e.Hooks.PostTraffic != ""
			}
		}
	}
	for _, kind := range []string{"lambda", "container"} {
		for _, f := range []string{"integration test", "no integration test", "approval", "no approval", "custom shift",
			"predefined shift", "custom alarm", "hooks", "no hooks", "every kind of subscriber", "no subscribers",
			"both kinds of secret", "no secrets"} {
			if !has[kind+" "+f] {
				t.Errorf("the first %d services have no %s with %s", sameResourcesServices, kind, f)
			}
		}
	}
	for _, f := range []string{"container base image", "container no base image", "lambda both hooks"} {
		if !has[f] {
			t.Errorf("the first %d services have no %s", sameResourcesServices, f)
		}
	}
}

// The peak RSS is read from the jsii kernel's own /proc entry: the test binary's Node process
// is running now (TestMain synthesized), so both processes are found with a plausible size.
func TestNodePeakRSSFindsTheJsiiProcesses(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc: Linux only (the benchmark's Node RSS is measured there)")
	}
	kernel, launcher := nodePeakRSS(os.Getpid())
	if kernel < 50<<10 {
		t.Errorf("jsii kernel peak RSS %d KiB: the node … program.js process was not found", kernel)
	}
	if launcher == 0 || launcher >= kernel {
		t.Errorf("jsii launcher peak RSS %d KiB (kernel %d KiB): the node … jsii-runtime.js process was not found", launcher, kernel)
	}
	// A process with no children has no Node descendants.
	sleep := exec.Command("sleep", "5")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	defer sleep.Process.Kill()
	if k, l := nodePeakRSS(sleep.Process.Pid); k != 0 || l != 0 {
		t.Errorf("processes outside the tree of %d were counted: %d, %d KiB", sleep.Process.Pid, k, l)
	}
}

// The staged variant's services are valid definitions: dev and staging at home, production in
// two waves in another account, for every kind of generated service.
func TestStagedServicesAreValid(t *testing.T) {
	var specs []spec.Service
	for _, g := range generate(8) {
		specs = append(specs, g.spec)
	}
	out := staged(specs)
	if err := spec.ValidateAll(out); err != nil {
		t.Fatal(err)
	}
	for _, s := range out {
		if got := strings.Join(s.Stages[2].PipelineStageNames(), " "); len(s.Stages) != 3 || got != "Production-eu Production-us" {
			t.Errorf("%s: stages %v, production %s", s.Name, s.StageNames(), got)
		}
	}
}
