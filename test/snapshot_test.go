package test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// snapshotDir holds one golden template per stack of the fixture app (staged/: of the staged
// fixtures' app).
const snapshotDir = "__snapshots__"

// assetHash matches the content hashes of assets (the custom resource handler bundled with
// aws-cdk-lib, the container placeholder image), which change with CDK upgrades and say nothing
// about the stacks' behaviour.
var assetHash = regexp.MustCompile(`\b[0-9a-f]{64}\b`)

// normalize renders a template with sorted keys and two-space indentation, asset hashes
// replaced by a placeholder.
func normalize(t *testing.T, raw []byte) string {
	t.Helper()
	var v interface{}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return assetHash.ReplaceAllString(out.String(), "<asset-hash>")
}

// TestSnapshots compares every stack of the example app with its golden file. After an
// intended change, update them with
//
//	UPDATE_SNAPSHOTS=1 go test ./test/ -run TestSnapshots
//
// and read the diff of __snapshots__ before committing it.
func TestSnapshots(t *testing.T) {
	// The staged fixtures' stacks (other accounts and regions, waves) beside the others.
	for dir, app := range map[string]*synthesized{snapshotDir: fixture, filepath.Join(snapshotDir, "staged"): staged} {
		checkSnapshots(t, dir, app)
	}
}

// checkSnapshots compares every stack of an app with its golden file in dir.
func checkSnapshots(t *testing.T, dir string, app *synthesized) {
	update := os.Getenv("UPDATE_SNAPSHOTS") != ""
	if update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	names := keys(app.raw)
	sort.Strings(names)
	for _, name := range names {
		got := normalize(t, app.raw[name])
		file := filepath.Join(dir, name+".template.json")
		if update {
			if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Errorf("%s: no snapshot (%v); create it with UPDATE_SNAPSHOTS=1 go test ./test/ -run TestSnapshots", name, err)
			continue
		}
		if got != string(want) {
			t.Errorf("%s differs from %s (-snapshot +synthesized); if intended, run UPDATE_SNAPSHOTS=1 go test ./test/ -run TestSnapshots\n%s",
				name, file, cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got, "\n")))
		}
	}
	// A snapshot whose stack is gone is stale.
	files, _ := filepath.Glob(filepath.Join(dir, "*.template.json"))
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".template.json")
		if _, ok := app.raw[name]; !ok {
			if update {
				os.Remove(f)
			} else {
				t.Errorf("%s: snapshot of a stack the app no longer has; remove it or run with UPDATE_SNAPSHOTS=1", f)
			}
		}
	}
}

// The same definitions give byte-identical templates.
func TestSynthIsDeterministic(t *testing.T) {
	if len(fixtureAgain.raw) != len(fixture.raw) {
		t.Fatalf("second synth has %d stacks, first %d", len(fixtureAgain.raw), len(fixture.raw))
	}
	for name, raw := range fixture.raw {
		if !bytes.Equal(raw, fixtureAgain.raw[name]) {
			t.Errorf("%s: two synths of the same app differ", name)
		}
	}
}

// CloudFormation's limits: every stack stays well within 500 resources and 1 MB of template
// (the limit for a template uploaded to S3, as the CDK does).
func TestStacksWithinCloudFormationLimits(t *testing.T) {
	for _, app := range []*synthesized{fixture, variants} {
		for name, raw := range app.raw {
			n := len(app.templates[name]["Resources"].(map[string]interface{}))
			if n > 500 {
				t.Errorf("%s: %d resources, CloudFormation allows 500", name, n)
			}
			if len(raw) > 1_000_000 {
				t.Errorf("%s: %d bytes of template, CloudFormation allows 1 MB", name, len(raw))
			}
			t.Logf("%s: %d resources, %d bytes", name, n, len(raw))
		}
	}
}
