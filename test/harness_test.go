// Package test holds the whole-app tests: fine-grained assertions on the synthesized
// templates, snapshots of every stack of the example app, and runs of the generated build and
// deploy scripts under bash with stand-in aws commands.
//
// jsii serves the whole test binary from one Node process and is not goroutine-safe, so
// TestMain synthesizes every app exactly once, before any test runs, and the tests only read
// the resulting templates.
package test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
	"github.com/golden-pipelines/microservice-pipelines/internal/cdkjson"
	"github.com/golden-pipelines/microservice-pipelines/internal/testenv"
	"github.com/golden-pipelines/microservice-pipelines/pipelines"
	"github.com/golden-pipelines/microservice-pipelines/stacks"
)

// synthesized is one app's cloud assembly, read back as parsed templates.
type synthesized struct {
	dir       string
	templates map[string]map[string]interface{} // stack name -> template
	raw       map[string][]byte                 // stack name -> template file bytes
	services  []*stacks.Service
	cache     map[string]assertions.Template
}

var (
	// fixture is the app of the fixture services (test/fixtures) built as app/main.go builds
	// the example app's, environment-agnostic.
	fixture *synthesized
	// variants is an app of test services that exercise the options the fixtures do not.
	variants *synthesized
	// memoryChanged is the fixture app with configuration changes (orders' memory, catalog's
	// memory and task count), for the no-revert tests.
	memoryChanged *synthesized
	// fixtureAgain is a second synth of the fixture app, under cdk-nag's AwsSolutions pack: the
	// determinism test compares its templates with fixture's byte for byte (cdk-nag writes
	// annotations into the assembly's metadata, never into templates), and the nag test reads
	// its findings. One synth serves both.
	fixtureAgain *synthesized
	// staged is the app of the staged fixture services (test/fixtures/staged: stages listed,
	// targets in other accounts and regions, waves), under cdk-nag.
	staged *synthesized
	// regional is a container and a Lambda service synthesized for an account and region, as
	// cdk deploy does (the load balancer's access logs need the region), with cdk-nag.
	regional *synthesized
)

func TestMain(m *testing.M) {
	// Unit tests skip the CDK's built-in CloudFormation validation (5 s a synth); the real
	// synth in .ci/run keeps it and fails on any finding.
	testenv.WithoutValidation()
	tmp, err := os.MkdirTemp("", "golden-pipelines-test-")
	if err != nil {
		panic(err)
	}
	fixture = synth(filepath.Join(tmp, "fixture"), fixtures())
	fixtureAgain = synthNagged(filepath.Join(tmp, "again"), fixtures())
	variants = synth(filepath.Join(tmp, "variants"), variantServices())
	// The staged app is also released by the platform pipeline (tracking's first).
	staged = synthNaggedWith(filepath.Join(tmp, "staged"), load("fixtures/staged"), nil, map[string]interface{}{
		stacks.PlatformContext: map[string]interface{}{
			"connection": "arn:aws:codeconnections:eu-west-1:111111111111:connection/9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a",
			"repository": "acme/golden-pipelines", "canaryServices": []interface{}{"tracking"}, "approvalAbove": 1,
			"pullRequests": true, "provider": "github",
		},
	})
	changed := fixtures()
	for i := range changed {
		switch changed[i].Name {
		case "orders":
			changed[i].Lambda.MemoryMiB = 1024
		case "catalog":
			changed[i].Container.MemoryMiB = 2048
			changed[i].Container.DesiredCount = 5
		}
	}
	memoryChanged = synth(filepath.Join(tmp, "memory"), changed)
	regional = synthNaggedIn(filepath.Join(tmp, "regional"), only(fixtures(), "catalog", "orders"),
		&awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("eu-west-1")})
	code := m.Run()
	jsii.Close()
	if os.Getenv("KEEP_SYNTH") != "" {
		// KEEP_SYNTH=1 go test ./test/ keeps the synthesized apps to look at.
		fmt.Fprintln(os.Stderr, "synthesized apps kept in", tmp)
	} else {
		os.RemoveAll(tmp)
	}
	os.Exit(code)
}

// cdkContext is what the CDK CLI hands the app from ../cdk.json: its context (the feature
// flags) and its metadata switches. The tests synthesize with it, so they see exactly what
// `cdk synth` produces, but for the example's own settings (its platform pipeline), which the
// apps of test services get only where a test gives them.
func cdkContext() map[string]interface{} {
	ctx, err := cdkjson.Context("../cdk.json")
	if err != nil {
		panic(err)
	}
	return cdkjson.WithoutAppSettings(ctx)
}

func synth(outdir string, services []spec.Service) *synthesized {
	return synthWith(outdir, services, nil, nil)
}

// synthWith synthesizes an app of the services; context overrides cdk.json's context, and
// configure (if any) runs on the app before synthesis.
func synthWith(outdir string, services []spec.Service, context map[string]interface{}, configure func(awscdk.App)) *synthesized {
	return synthFull(outdir, services, nil, context, configure)
}

func synthFull(outdir string, services []spec.Service, env *awscdk.Environment, context map[string]interface{}, configure func(awscdk.App)) *synthesized {
	ctx := cdkContext()
	for k, v := range context {
		ctx[k] = v
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir), Context: &ctx})
	created, err := stacks.AddServices(app, services, env)
	if err != nil {
		panic(err)
	}
	if configure != nil {
		configure(app)
	}
	app.Synth(nil)
	s := &synthesized{dir: outdir, templates: map[string]map[string]interface{}{}, raw: map[string][]byte{},
		services: created, cache: map[string]assertions.Template{}}
	files, err := filepath.Glob(filepath.Join(outdir, "*.template.json"))
	if err != nil || len(files) == 0 {
		panic(fmt.Sprintf("no templates in %s: %v", outdir, err))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			panic(err)
		}
		var t map[string]interface{}
		if err := json.Unmarshal(b, &t); err != nil {
			panic(err)
		}
		name := filepath.Base(f)
		name = name[:len(name)-len(".template.json")]
		s.templates[name] = t
		s.raw[name] = b
	}
	return s
}

// template returns the assertions.Template of a stack, built once from the synthesized JSON.
func (s *synthesized) template(t *testing.T, stack string) assertions.Template {
	t.Helper()
	if tpl, ok := s.cache[stack]; ok {
		return tpl
	}
	raw, ok := s.templates[stack]
	if !ok {
		t.Fatalf("no stack %q synthesized (have %v)", stack, keys(s.templates))
	}
	tpl := assertions.Template_FromJSON(&raw, nil)
	s.cache[stack] = tpl
	return tpl
}

// resources returns the resources of a type in a stack, by logical ID.
func (s *synthesized) resources(t *testing.T, stack, typ string) map[string]map[string]interface{} {
	t.Helper()
	tpl, ok := s.templates[stack]
	if !ok {
		t.Fatalf("no stack %q synthesized", stack)
	}
	out := map[string]map[string]interface{}{}
	for id, r := range tpl["Resources"].(map[string]interface{}) {
		res := r.(map[string]interface{})
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

// only returns the single resource of a type in a stack.
func (s *synthesized) only(t *testing.T, stack, typ string) (string, map[string]interface{}) {
	t.Helper()
	rs := s.resources(t, stack, typ)
	if len(rs) != 1 {
		t.Fatalf("%s: want exactly one %s, have %d", stack, typ, len(rs))
	}
	for id, r := range rs {
		return id, r
	}
	panic("unreachable")
}

// assert runs a CDK assertion and turns its panic (jsii raises assertion failures as errors)
// into a test failure with the assertion's message.
func assert(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	f()
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func props(r map[string]interface{}) map[string]interface{} {
	return r["Properties"].(map[string]interface{})
}

func jsonString(t *testing.T, v interface{}) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fixtures loads the fixture services (test/fixtures) as app/main.go loads the example app's.
func fixtures() []spec.Service { return load("fixtures") }

// load loads the definitions of a folder of test/ as app/main.go loads the example app's.
func load(dir string) []spec.Service {
	services, err := pipelines.LoadFS(os.DirFS(dir), ".", "test/"+dir, "README.md", "staged")
	if err != nil {
		panic(err)
	}
	return services
}

// service returns the stacks of one service of the app.
func (s *synthesized) service(t *testing.T, name string) *stacks.Service {
	t.Helper()
	for _, svc := range s.services {
		if svc.Spec.Name == name {
			return svc
		}
	}
	t.Fatalf("no service %q", name)
	return nil
}

// logicalID is the logical ID of a construct's CloudFormation resource (itself or its default
// child) in its stack's template.
func (s *synthesized) logicalID(t *testing.T, c constructs.IConstruct) string {
	t.Helper()
	res, ok := c.(awscdk.CfnResource)
	if !ok {
		res, ok = c.Node().DefaultChild().(awscdk.CfnResource)
	}
	if !ok {
		t.Fatalf("%s has no CloudFormation resource", *c.Node().Path())
	}
	return *awscdk.Stack_Of(c).GetLogicalId(res)
}

// pipelineKey returns the logical ID and the resource of a service's pipeline key (its pipeline
// stack also holds the stack's LogsKey).
func (s *synthesized) pipelineKey(t *testing.T, service string) (string, map[string]interface{}) {
	t.Helper()
	svc := s.service(t, service)
	id := s.logicalID(t, svc.Pipeline.Key)
	key, ok := s.resources(t, svc.Spec.PipelineStackName(), "AWS::KMS::Key")[id]
	if !ok {
		t.Fatalf("%s: no key %s", svc.Spec.PipelineStackName(), id)
	}
	return id, key
}

// only returns the named services.
func only(services []spec.Service, names ...string) []spec.Service {
	var out []spec.Service
	for _, s := range services {
		for _, n := range names {
			if s.Name == n {
				out = append(out, s)
			}
		}
	}
	return out
}
