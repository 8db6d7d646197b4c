package pipeline

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golden-pipelines/microservice-pipelines/constructs/buildspec"
	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// Every shell step is ShellCheck-clean. CI installs ShellCheck (Debian's shellcheck); a
// machine without it skips the check, CI (CI=true) fails.
func TestStepsAreShellCheckClean(t *testing.T) {
	bin, err := exec.LookPath("shellcheck")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI runs ShellCheck on the shell steps, and it is not installed")
		}
		t.Skip("shellcheck is not installed")
	}
	files, _ := filepath.Glob("steps/*.sh")
	if len(files) == 0 {
		t.Fatal("no shell steps found")
	}
	out, err := exec.Command(bin, append([]string{"--severity=style"}, files...)...).CombinedOutput()
	if err != nil {
		t.Errorf("ShellCheck findings:\n%s", out)
	}
}

// What a buildspec carries of a step (its body, without comments) is still valid bash, and
// every step file is used by some buildspec.
func TestStepBodiesParseAndAreUsed(t *testing.T) {
	svc := spec.Service{Name: "orders", Lambda: spec.Lambda{Runtime: "nodejs22.x", Handler: "index.handler"},
		IntegrationTest: spec.IntegrationTest{Commands: []string{"true"}}}.WithDefaults()
	test := svc.Stages[0].IntegrationTest
	box := spec.Service{Name: "box", Container: &spec.Container{}, Build: spec.Build{Test: []string{"true"}}}.WithDefaults()
	var rendered strings.Builder
	for _, s := range []buildspec.Spec{LambdaBuildSpec(svc), DeploySpec(), IntegrationTestSpec(svc, test),
		ContainerBuildSpec(box), PrepareSpec(), RecordReleaseSpec(), IntegrationTestSpec(box, test)} {
		for _, p := range []buildspec.Phase{s.Install, s.PreBuild, s.Build, s.PostBuild} {
			body := buildspec.Script(p.Script)
			rendered.WriteString(body + "\n")
			if out, err := exec.Command("bash", "-n", "-c", body).CombinedOutput(); err != nil {
				t.Errorf("a rendered step is not valid bash: %v\n%s\n%s", err, out, body)
			}
		}
	}
	entries, _ := fs.ReadDir(stepFiles, "steps")
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".sh")
		if !strings.Contains(rendered.String(), strings.Join(step(name), "\n")) {
			t.Errorf("steps/%s is used by no buildspec", e.Name())
		}
	}
}

// The file names the steps write and read are the ones the pipeline's actions declare.
func TestStepsUseTheDeclaredFileNames(t *testing.T) {
	for file, names := range map[string][]string{
		"package-lambda": {ReleaseFile},
		"docker-build":   {ReleaseFile, ImageDetailFile, "CODEBUILD_SRC_DIR_" + BaseImageArtifact},
		"prepare-ecs":    {ImageDetailFile, TaskDefinitionFile, AppSpecFile, "<" + ImagePlaceholder + ">"},
		"record-release": {ImageDetailFile},
	} {
		body := strings.Join(step(file), "\n")
		for _, n := range names {
			if !strings.Contains(body, n) {
				t.Errorf("steps/%s.sh does not use %s", file, n)
			}
		}
	}
}
