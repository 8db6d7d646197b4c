package pipelines

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/internal/testenv"
	"github.com/golden-pipelines/microservice-pipelines/stacks"
)

func TestMain(m *testing.M) {
	// Accepted fuzz inputs are synthesized; the CDK's CloudFormation validation is the real
	// synth's job (.ci/run), not the fuzzer's.
	testenv.WithoutValidation()
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

var nameLine = regexp.MustCompile(`(?m)^name:\s*([a-z0-9-]+)\s*$`)

// FuzzLoad feeds the loader arbitrary files. The loader must never panic; a rejected file must
// come with positioned problems that say what and how to fix; and an accepted file must be one
// the constructs accept too: it is built into an app and synthesized. Run it with
//
//	go test ./pipelines -run '^$' -fuzz FuzzLoad -fuzztime 60s
//
// (plain `go test` runs the seeds: the examples and every case of the bad corpus).
func FuzzLoad(f *testing.F) {
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
	f.Add([]byte(everyField))
	schema := compileSchema(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		// The file is named after the service it defines, so fuzzing explores the
		// definition rather than the file-name rule.
		name := "fuzz"
		if m := nameLine.FindSubmatch(data); m != nil {
			name = string(m[1])
		}
		services, err := Load([]File{{Name: name + ".yaml", Data: data}})
		if err != nil {
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
			return
		}
		// Editors must not flag what the loader accepts.
		if err := schema.Validate(yamlValue(t, data)); err != nil {
			t.Fatalf("the loader accepts what the schema rejects: %v", err)
		}
		if len(services) != 1 {
			t.Fatalf("accepted %d services from one file", len(services))
		}
		svc := services[0]
		if !reflect.DeepEqual(svc, svc.WithDefaults()) {
			t.Fatal("an accepted service is not fully defaulted")
		}
		app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
		if _, err := stacks.AddServices(app, services, nil); err != nil {
			t.Fatalf("the loader accepted what AddServices rejects: %v", err)
		}
		app.Synth(nil)
	})
}
