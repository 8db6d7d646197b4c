package test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
	"github.com/golden-pipelines/microservice-pipelines/internal/diagram"
)

func drawn(t *testing.T, app *synthesized) string {
	t.Helper()
	templates, err := diagram.Load(app.dir)
	if err != nil {
		t.Fatal(err)
	}
	md, err := diagram.Markdown(templates)
	if err != nil {
		t.Fatal(err)
	}
	return md
}

// docs/feedback.md shows the pipelines of the fixture services (test/fixtures) as the diagram
// command draws them from the synthesized templates. After an intended change,
// UPDATE_SNAPSHOTS=1 rewrites the block.
func TestReadmeShowsTheExampleDiagram(t *testing.T) {
	docBlock(t, "docs/feedback.md", "pipeline-diagrams", drawn(t, fixture))
}

// Golden output for the variants: custom canary and linear shifts, every predefined config,
// pipelines without approval or integration test.
func TestDiagramGolden(t *testing.T) {
	got := drawn(t, variants)
	file := filepath.Join(snapshotDir, "variants.pipelines.md")
	if os.Getenv("UPDATE_SNAPSHOTS") != "" {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("no golden diagram (%v); create it with UPDATE_SNAPSHOTS=1 go test ./test/ -run TestDiagramGolden", err)
	}
	if got != string(want) {
		t.Errorf("the variants' diagram differs from %s (-golden +drawn); if intended, run UPDATE_SNAPSHOTS=1 go test ./test/ -run TestDiagramGolden\n%s",
			file, cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got, "\n")))
	}
}

// What the diagram reads from the templates agrees with the definitions: every stage, the
// approval where there is one, each environment's deployment group with its traffic shifting
// and the alarms guarding it.
func TestDiagramShowsWhatIsDeployed(t *testing.T) {
	for _, app := range []*synthesized{fixture, variants} {
		templates, err := diagram.Load(app.dir)
		if err != nil {
			t.Fatal(err)
		}
		pipelines, err := diagram.Pipelines(templates)
		if err != nil {
			t.Fatal(err)
		}
		if len(pipelines) != len(app.services) {
			t.Fatalf("%d pipelines drawn for %d services", len(pipelines), len(app.services))
		}
		for _, p := range pipelines {
			svc := specOf(t, app, p.Name)
			var stages []string
			for _, s := range p.Stages {
				stages = append(stages, s.Name)
			}
			want := []string{"Source", "Build"}
			if svc.IsContainer() {
				want = append(want, "Scan")
			}
			deploying := map[string]*spec.Stage{} // pipeline stage -> the definition's stage
			for i := range svc.Stages {
				st := &svc.Stages[i]
				if st.ApprovalRequired() {
					want = append(want, st.ApprovalStageName())
				}
				for _, n := range st.PipelineStageNames() {
					want = append(want, n)
					deploying[n] = st
				}
			}
			if !slices.Equal(stages, want) {
				t.Errorf("%s: stages %v, want %v", p.Name, stages, want)
			}
			for _, s := range p.Stages {
				e := deploying[s.Name]
				if e == nil {
					if len(s.Deployments) > 0 {
						t.Errorf("%s: stage %s deploys %v", p.Name, s.Name, s.Deployments)
					}
					continue
				}
				env := e.Name
				if len(s.Deployments) != 1 {
					t.Fatalf("%s/%s: deployments %v", p.Name, s.Name, s.Deployments)
				}
				d := s.Deployments[0]
				if d.Group != svc.DeploymentGroupName(env) {
					t.Errorf("%s/%s deploys to %s", p.Name, s.Name, d.Group)
				}
				if !slices.Equal(d.Alarms, svc.DeploymentAlarmNames(env)) {
					t.Errorf("%s/%s alarms %v, want %v", p.Name, s.Name, d.Alarms, svc.DeploymentAlarmNames(env))
				}
				wantStrategy := "CodeDeployDefault." + map[bool]string{false: "Lambda", true: ""}[svc.IsContainer()] + e.Deployment.Config
				if c := e.Deployment.Custom; c != nil {
					wantStrategy = fmt.Sprintf("custom: linear %d%% every %d min", c.Percentage, c.IntervalMinutes)
					if c.Type == "canary" {
						wantStrategy = fmt.Sprintf("custom: canary %d%%, the rest %d min later", c.Percentage, c.IntervalMinutes)
					}
				}
				if svc.IsContainer() {
					wantStrategy += fmt.Sprintf(", blue/green, blue tasks kept %d min", svc.BlueTasksKeptMinutes(svc.Stage(env)))
				}
				if d.Strategy != wantStrategy || d.Rollback != "rolls back on failure, stop, alarm" {
					t.Errorf("%s/%s: %q, %q; want %q", p.Name, s.Name, d.Strategy, d.Rollback, wantStrategy)
				}
			}
		}
	}
}

// The command: go run ./cmd/diagram [dir].
func TestDiagramCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := diagram.Run([]string{fixture.dir}, &out, &errOut); code != 0 || out.String() != drawn(t, fixture) {
		t.Errorf("exit %d, stderr %q; output differs from the diagram", code, errOut.String())
	}
	out.Reset()
	errOut.Reset()
	if code := diagram.Run([]string{t.TempDir()}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "npm run cdk -- synth") {
		t.Errorf("an empty directory: exit %d, %q", code, errOut.String())
	}
	errOut.Reset()
	if code := diagram.Run([]string{"a", "b"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "usage") {
		t.Errorf("two arguments: exit %d, %q", code, errOut.String())
	}
	// Labels cannot break the Mermaid syntax.
	if got := diagram.Mermaid(diagram.Pipeline{Name: "x", Stages: []diagram.Stage{{Name: `a "quoted" <stage>`}}}); !strings.Contains(got, `a #quot;quoted#quot; #lt;stage#gt;`) {
		t.Errorf("label not escaped: %s", got)
	}
}
