package pipelines

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"gopkg.in/yaml.v3"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
	"github.com/golden-pipelines/microservice-pipelines/internal/synth"
	"github.com/golden-pipelines/microservice-pipelines/internal/testenv"
	"github.com/golden-pipelines/microservice-pipelines/stacks"
)

func TestMain(m *testing.M) {
	// Accepted fuzz inputs are built (and, by FuzzSynth, synthesized); the CDK's
	// CloudFormation validation is the real synth's job (.ci/run), not the fuzzer's.
	testenv.WithoutValidation()
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

var (
	nameLine  = regexp.MustCompile(`(?m)^name:\s*([a-z0-9-]+)\s*$`)
	cdkNumber = regexp.MustCompile(`-1\.\d{10,16}e\+289`)
)

// seedFuzz adds the seeds: the example definitions, every file of the bad corpus (so every class
// of the issue), and the definitions that set every field (testdata/fuzz holds more).
func seedFuzz(f *testing.F) {
	seeds, _ := filepath.Glob("*.yaml")
	bad, _ := filepath.Glob(filepath.Join(corpusDir, "*", "*.yaml"))
	for _, s := range append(seeds, bad...) {
		if info, err := os.Stat(s); err == nil && info.IsDir() {
			continue // a folder named *.yaml: a case of the corpus
		}
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, doc := range []string{everyField, everyFieldAlt, everyContainerField} {
		f.Add([]byte(doc))
	}
}

// loadFuzzed loads one input as the file of the service it names, so that fuzzing explores the
// definition rather than the file-name rule, and checks a rejection: never without problems,
// each with what, fix and file, and a field's problem with its line.
func loadFuzzed(t *testing.T, data []byte) []spec.Service {
	name := "fuzz"
	if m := nameLine.FindSubmatch(data); m != nil {
		name = string(m[1])
	}
	services, err := Load([]File{{Name: name + ".yaml", Data: data}})
	if err == nil {
		if len(services) != 1 {
			t.Fatalf("accepted %d services from one file", len(services))
		}
		return services
	}
	var ps Problems
	if !errors.As(err, &ps) || len(ps) == 0 {
		t.Fatalf("rejected without problems: %v", err)
	}
	for _, p := range ps {
		if p.What == "" || p.Fix == "" || p.File == "" {
			t.Fatalf("problem without what, fix or file: %#v", p)
		}
		if p.Field != "" && p.Line == 0 {
			t.Fatalf("problem of a field without its position: %s", p)
		}
	}
	return nil
}

// checkAccepted holds an accepted definition to what the loader promises, with oracles of its
// own: the schema accepts it (editors never flag it), it is fully defaulted and valid, and none
// of its texts or numbers holds what the text policy forbids.
func checkAccepted(t *testing.T, data []byte, svc spec.Service, schema interface{ Validate(interface{}) error }) {
	if err := schema.Validate(yamlValue(t, data)); err != nil {
		t.Fatalf("the loader accepts what the schema rejects: %v", err)
	}
	if !reflect.DeepEqual(svc, svc.WithDefaults()) {
		t.Fatal("an accepted service is not fully defaulted")
	}
	if err := spec.ValidateAll([]spec.Service{svc}); err != nil {
		t.Fatalf("an accepted service is invalid: %v", err)
	}
	forEachText(reflect.ValueOf(svc), "", func(key, s string) {
		command := spec.TextRules[key].Lines
		squeezed := strings.ToLower(strings.Join(strings.Fields(s), ""))
		for _, bad := range []string{"{{resolve:", "${token[", "#{token["} {
			if strings.Contains(squeezed, bad) {
				t.Fatalf("%s holds %q: %q", key, bad, s)
			}
		}
		if cdkNumber.MatchString(s) {
			t.Fatalf("%s holds a CDK number token: %q", key, s)
		}
		if !command && strings.Contains(s, "#{") {
			t.Fatalf("%s holds #{: %q", key, s)
		}
		for _, r := range s {
			if (unicode.IsControl(r) && !(command && (r == '\n' || r == '\t'))) || r == '\u2028' || r == '\u2029' || unicode.In(r, unicode.Cf) {
				t.Fatalf("%s holds %U: %q", key, r, s)
			}
		}
	})
	for _, st := range svc.Stages {
		if n := len(svc.DeploymentAlarmNames(st.Name)); n > spec.MaxAlarmsPerDeploymentGroup {
			t.Fatalf("%s has %d alarms", st.Name, n)
		}
	}
}

// forEachText calls fn with the rule key and the value of every text of a value.
func forEachText(v reflect.Value, key string, fn func(key, s string)) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			forEachText(v.Elem(), key, fn)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if name := spec.YAMLName(v.Type().Field(i)); name != "" {
				forEachText(v.Field(i), v.Type().Name()+"."+name, fn)
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			forEachText(v.Index(i), key, fn)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			fn(key+":key", k.String())
			forEachText(v.MapIndex(k), key, fn)
		}
	case reflect.String:
		fn(key, v.String())
	}
}

// built remembers the services already built (by their defaulted value): fuzzing mutates
// comments and spacing far more often than values, and building is a function of the value.
var built = map[[32]byte]bool{}

// FuzzLoad feeds the loader arbitrary files. The loader must never panic; a rejected file must
// come with positioned problems that say what and how to fix; an accepted file must pass the
// schema, be valid and hold nothing the text policy forbids (checked by oracles of its own), and
// its stacks must be built without a CDK error (construction, without the synthesis FuzzSynth
// adds). CI runs it for 30 s:
//
//	go test ./pipelines -run '^$' -fuzz FuzzLoad -fuzztime 30s -fuzzminimizetime 1x
//
// (plain `go test` runs the seeds: the examples, every case of the bad corpus, testdata/fuzz).
func FuzzLoad(f *testing.F) {
	seedFuzz(f)
	schema := compileSchema(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		services := loadFuzzed(t, data)
		if services == nil {
			return
		}
		checkAccepted(t, data, services[0], schema)
		build(t, services)
	})
}

// scalarSpot is a scalar of a definition's YAML that FuzzDefinition rewrites: a value (text,
// number or boolean) or the name of a map entry.
type scalarSpot struct{ node *yaml.Node }

// scalarSpots walks a definition's nodes beside the Go type they decode into and returns every
// scalar value and map name.
func scalarSpots(n *yaml.Node, t reflect.Type) []scalarSpot {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []scalarSpot
	switch {
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		names := spec.YAMLNames(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			for f, name := range names {
				if name == n.Content[i].Value {
					out = append(out, scalarSpots(n.Content[i+1], t.Field(f).Type)...)
				}
			}
		}
	case t.Kind() == reflect.Map && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			out = append(out, scalarSpot{n.Content[i]})
			out = append(out, scalarSpots(n.Content[i+1], t.Elem())...)
		}
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for _, item := range n.Content {
			out = append(out, scalarSpots(item, t.Elem())...)
		}
	case n.Kind == yaml.ScalarNode:
		out = append(out, scalarSpot{n})
	}
	return out
}

// FuzzDefinition mutates the values of valid definitions rather than their YAML: it rewrites one
// scalar (a text, number or boolean, or the name of a map entry) of the definitions that set
// every field, written plain or double-quoted. Most inputs are definitions validation must
// judge, and many are accepted: each accepted one is held to FuzzLoad's oracles and its stacks
// are built (without the synthesis).
//
//	go test ./pipelines -run '^$' -fuzz FuzzDefinition -fuzztime 60s
func FuzzDefinition(f *testing.F) {
	docs := []string{everyField, everyFieldAlt, everyContainerField}
	f.Add(uint8(0), uint16(3), "app.handler", false)
	f.Add(uint8(2), uint16(7), "{{resolve:ssm:/x}}", true)
	f.Add(uint8(0), uint16(1), "01024", false)
	schema := compileSchema(f)
	f.Fuzz(func(t *testing.T, doc uint8, spot uint16, value string, quoted bool) {
		var root yaml.Node
		if err := yaml.Unmarshal([]byte(docs[int(doc)%len(docs)]), &root); err != nil {
			t.Fatal(err)
		}
		spots := scalarSpots(root.Content[0], reflect.TypeOf(spec.Service{}))
		n := spots[int(spot)%len(spots)].node
		n.Value, n.Tag, n.Style = value, "", 0
		if quoted {
			n.Style = yaml.DoubleQuotedStyle
		}
		data, err := yaml.Marshal(&root)
		if err != nil {
			return // not writable as YAML
		}
		services := loadFuzzed(t, data)
		if services == nil {
			return
		}
		checkAccepted(t, data, services[0], schema)
		build(t, services)
	})
}

// build builds the stacks of accepted services once per distinct value.
func build(t *testing.T, services []spec.Service) {
	b, _ := json.Marshal(services[0])
	key := sha256.Sum256(b)
	if built[key] {
		return
	}
	if _, err := stacks.AddServices(awscdk.NewApp(nil), services, nil); err != nil {
		t.Fatalf("the loader accepted what AddServices rejects: %v", err)
	}
	built[key] = true
}

// FuzzSynth is FuzzLoad with the whole synthesis of every accepted file (through
// internal/synth, so that the CloudFormation limits on the templates are checked too): slower,
// for longer runs.
//
//	go test ./pipelines -run '^$' -fuzz FuzzSynth -fuzztime 10m
func FuzzSynth(f *testing.F) {
	seedFuzz(f)
	schema := compileSchema(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		services := loadFuzzed(t, data)
		if services == nil {
			return
		}
		checkAccepted(t, data, services[0], schema)
		_, err := synth.Run(synth.Options{Outdir: t.TempDir()}, func(app awscdk.App) error {
			_, err := stacks.AddServices(app, services, nil)
			return err
		})
		if err != nil {
			t.Fatalf("the loader accepted what the synthesis rejects: %v", err)
		}
	})
}
