package test

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/golden-pipelines/microservice-pipelines/constructs/buildspec"
	"github.com/golden-pipelines/microservice-pipelines/stacks"
)

// exampleCase is one service of the example app and the code under examples/ it builds.
type exampleCase struct {
	service string // the definition, pipelines/<service>.yaml
	dir     string // its code, examples/<dir>
	tests   int    // the unit tests the example holds: its JUnit report must count exactly these
	// For a Lambda service: what the release zip holds, an event for its handler and the
	// status code the handler answers.
	files  []string
	event  string
	status int
}

var exampleCases = []exampleCase{
	{service: "orders", dir: "node-lambda", tests: 8, files: []string{"hooks.js", "index.js"},
		event: `{"items": [{"sku": "ZIP-1", "quantity": 2, "unitPriceCents": 300}]}`, status: 201},
	{service: "payments", dir: "python-lambda", tests: 8, files: []string{"app.py", "charges.py"},
		event: `{"amount": 1000, "currency": "EUR", "customer": "c-1"}`, status: 200},
	{service: "catalog", dir: "container", tests: 4},
	{service: "search", dir: "container", tests: 4},
}

// Each example service builds from its code under examples/ through the build project the
// example app synthesized, phase by phase as CodeBuild runs it, with the real language tools:
// npm (from the registry) and node, pytest under a python that, like the CodeBuild runtime,
// holds only the standard library and what the build's pip installed. Stand-ins play aws,
// docker and pip (no PyPI here); they record and check their arguments. The test checks what
// ships: the zip's entries (the code, no tests, dev dependencies or byte code) and that its
// handlers run from the zip alone, the docker build's arguments and Dockerfile, the JUnit
// report with the examples' real test counts, and release.json.
func TestExampleServicesBuild(t *testing.T) {
	python := exampleTools(t)
	for _, c := range exampleCases {
		t.Run(c.service, func(t *testing.T) {
			svc := fixture.service(t, c.service)
			r := runExampleBuild(t, c, python, nil)
			if !r.ok {
				t.Fatalf("%s build failed:\n%s", c.service, r.output)
			}
			checkJUnit(t, filepath.Join(r.work, svc.Spec.InFolder(svc.Spec.Build.ReportDir), "junit.xml"), c.tests)
			if svc.Spec.IsContainer() {
				checkContainerBuild(t, c, svc, r)
				return
			}
			zipPath := checkLambdaRelease(t, c, r)
			checkHandlersRunFromTheZip(t, c, svc, zipPath, python)
			if strings.HasPrefix(svc.Spec.Lambda.Runtime, "python") {
				pip, _ := os.ReadFile(filepath.Join(r.state, "pip"))
				want := "install -r requirements.txt -t package\ninstall -r requirements-dev.txt\n"
				if string(pip) != want {
					t.Errorf("pip calls:\n%swant (runtime dependencies into the package, test tools into the build environment):\n%s", pip, want)
				}
			}
		})
	}
}

// A failing unit test in an example fails its build before anything is uploaded or pushed:
// the tests really run.
func TestExampleBuildsFailOnAFailingTest(t *testing.T) {
	python := exampleTools(t)
	breakTest := map[string][2]string{
		"orders":   {"test/handler.test.js", `assert.equal(res.statusCode, 201);`},
		"payments": {"tests/test_app.py", `assert res["statusCode"] == 200`},
		"catalog":  {"test/server.test.js", `assert.equal(status, 200);`},
	}
	for _, c := range exampleCases {
		b, ok := breakTest[c.service]
		if !ok {
			continue
		}
		t.Run(c.service, func(t *testing.T) {
			r := runExampleBuild(t, c, python, func(work string) {
				p := filepath.Join(work, b[0])
				src, err := os.ReadFile(p)
				if err != nil || !strings.Contains(string(src), b[1]) {
					t.Fatalf("%s no longer holds %q: %v", b[0], b[1], err)
				}
				broken := strings.Replace(string(src), b[1], strings.NewReplacer("201", "418", "200", "418").Replace(b[1]), 1)
				os.WriteFile(p, []byte(broken), 0o644)
			})
			if r.ok {
				t.Fatalf("the build passed with a failing test:\n%s", r.output)
			}
			docker, _ := os.ReadFile(filepath.Join(r.state, "docker"))
			if len(r.called("s3api put-object")) != 0 || strings.Contains(string(docker), "build ") {
				t.Errorf("a build with a failing test went on to package: aws %v, docker %q", r.awsCalls, docker)
			}
			if !strings.Contains(r.output, "418") {
				t.Errorf("the output does not show the failed assertion:\n%s", r.output)
			}
		})
	}
}

// exampleTools returns the python that has pytest. A developer machine without one of the
// tools the example builds need skips the test; CI (CI=true) fails: it must run them.
func exampleTools(t *testing.T) string {
	t.Helper()
	missing := func(why string) {
		t.Helper()
		if os.Getenv("CI") != "" {
			t.Fatalf("CI builds the examples, and %s (see README: The two commands)", why)
		}
		t.Skip(why)
	}
	for _, tool := range []string{"bash", "zip", "openssl", "jq", "npm", "node"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing(tool + " is not installed")
		}
	}
	out, err := exec.Command("node", "-p", "process.versions.node").Output()
	v := strings.Split(strings.TrimSpace(string(out)), ".")
	if err != nil || len(v) < 2 {
		missing(fmt.Sprintf("node does not say its version: %v", err))
	}
	major, _ := strconv.Atoi(v[0])
	minor, _ := strconv.Atoi(v[1])
	if major < 20 || major == 20 && minor < 13 {
		missing("node " + strings.Join(v, ".") + " has no JUnit test reporter (Node.js 20.13 or later has)")
	}
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(p); err == nil && exec.Command(path, "-c", "import pytest").Run() == nil {
			return path
		}
	}
	missing("no python3 with pytest (Debian: apt-get install python3-pytest)")
	return ""
}

// runExampleBuild runs the example service's build project on a copy of its example folder
// (as its repository would hold it), after edit (if any) changed the copy.
func runExampleBuild(t *testing.T, c exampleCase, python string, edit func(work string)) run {
	t.Helper()
	project := c.service + "-build"
	stack := c.service + "-pipeline"
	env := projectEnv(t, fixture, stack, project, buildEnv)
	env["REPOSITORY_URI"], env["AWS_REGION"] = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/"+c.service, "eu-west-1"
	// CodeBuild's python writes byte code; a developer's environment may turn that off.
	env["PYTHONDONTWRITEBYTECODE"] = ""
	svc := fixture.service(t, c.service)
	if svc.Spec.IsContainer() && svc.Spec.Container.BaseImage != nil {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "imageDetail.json"), []byte(`{"ImageURI":"`+baseImage+`"}`), 0o644)
		env["CODEBUILD_SRC_DIR_BaseImage"] = dir
	}
	return runSpec(t, buildSpec(t, fixture, stack, project), env, func(work, state string) {
		// A monorepo service's code sits in its folder of the repository (source.folder).
		if err := copyExample(filepath.Join("..", "examples", c.dir), filepath.Join(work, svc.Spec.Source.Folder)); err != nil {
			t.Fatal(err)
		}
		bin := filepath.Join(filepath.Dir(state), "bin")
		for name, script := range map[string]string{"pip": standInPip, "python": buildPython, "python3": buildPython} {
			if err := os.WriteFile(filepath.Join(bin, name), []byte(strings.ReplaceAll(script, "REAL_PYTHON", python)), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if edit != nil {
			edit(work)
		}
	})
}

const baseImage = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/base-images/node-22@sha256:" +
	"1111111111111111111111111111111111111111111111111111111111111111"

// copyExample copies an example folder as its repository holds it: without what its own
// .gitignore keeps out (installed packages, build output, reports, caches).
func copyExample(from, to string) error {
	skip := map[string]bool{"node_modules": true, "dist": true, "package": true, "reports": true,
		"__pycache__": true, ".pytest_cache": true}
	return filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() && skip[d.Name()] {
			return filepath.SkipDir
		}
		dest := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dest, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, _ := d.Info()
		return os.WriteFile(dest, b, info.Mode().Perm())
	})
}

// buildPython is the build environment's python: the real interpreter without its
// site-packages (-S), so it holds the standard library only, like the runtime CodeBuild
// selects, plus what the stand-in pip installed into the environment ($AWS_STATE/pip-site).
const buildPython = `#!/usr/bin/env bash
path="${PYTHONPATH:-}"
if [ -s "$AWS_STATE/pip-site" ]; then
  path="${path:+$path:}$(sort -u "$AWS_STATE/pip-site" | paste -sd:)"
fi
if [ -n "$path" ]; then export PYTHONPATH="$path"; else unset PYTHONPATH; fi
exec REAL_PYTHON -S "$@"
`

// standInPip plays pip without an index: it records its calls in $AWS_STATE/pip and takes only
// "install -r <file> [-t <dir>]". Every requirement must be a module the real python has. With
// -t the module's files are copied into <dir>, as pip installs into a target (without the
// module's own dependencies); without, its directory joins the build environment's path,
// which buildPython reads.
const standInPip = `#!/usr/bin/env bash
set -euo pipefail
printf '%s\n' "$*" >> "$AWS_STATE/pip"
[ "${1:-}" = install ] || { echo "stand-in pip: unexpected call: pip $*" >&2; exit 2; }
shift
req="" target=""
while [ $# -gt 0 ]; do
  case "$1" in
    -r) req=$2; shift 2 ;;
    -t) target=$2; shift 2 ;;
    *) echo "stand-in pip: unexpected argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$req" ] || { echo "stand-in pip: want -r <requirements file>" >&2; exit 2; }
[ -f "$req" ] || { echo "ERROR: Could not open requirements file: [Errno 2] No such file or directory: '$req'" >&2; exit 1; }
[ -z "$target" ] || mkdir -p "$target"
sed -e 's/#.*//' "$req" | while read -r line; do
  [ -n "$line" ] || continue
  module="$(printf '%s' "$line" | sed -E 's/[[:space:]]*[<>=!~;[].*$//' | tr 'A-Z-' 'a-z_')"
  origin="$(REAL_PYTHON -c 'import importlib.util, sys; s = importlib.util.find_spec(sys.argv[1]); print(s.origin if s else "")' "$module")"
  [ -n "$origin" ] || { echo "ERROR: No matching distribution found for $line (stand-in pip: no index here)" >&2; exit 1; }
  case "$origin" in */__init__.py) from="$(dirname "$origin")" ;; *) from="$origin" ;; esac
  if [ -n "$target" ]; then cp -r "$from" "$target/"; else dirname "$from" >> "$AWS_STATE/pip-site"; fi
done
`

// checkJUnit checks that a JUnit report exists and counts exactly want passing test cases.
func checkJUnit(t *testing.T, path string, want int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Errorf("no JUnit report where the report group reads it: %v", err)
		return
	}
	defer f.Close()
	counts := map[string]int{}
	dec := xml.NewDecoder(f)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Errorf("%s is not XML: %v", path, err)
			return
		}
		if el, ok := tok.(xml.StartElement); ok {
			counts[el.Name.Local]++
		}
	}
	if counts["testcase"] != want || counts["failure"]+counts["error"]+counts["skipped"] != 0 {
		t.Errorf("JUnit report %s: %d test cases, %d failures, %d errors, %d skipped; want %d passing", path,
			counts["testcase"], counts["failure"], counts["error"], counts["skipped"], want)
	}
}

const exampleTag = "build-0b7e2c4e-5a1d-4c1e-9d1a-3f8f0c6e2b11"

// checkLambdaRelease checks the uploaded zip (exactly the example's files at its root: no
// tests, dev dependencies, node_modules or byte code) and release.json; it returns the zip.
func checkLambdaRelease(t *testing.T, c exampleCase, r run) string {
	t.Helper()
	key := c.service + "/" + exampleTag + ".zip"
	if puts := r.called("s3api put-object --bucket packages-bucket --key " + key); len(puts) != 1 {
		t.Fatalf("want one upload of %s, got %v", key, r.awsCalls)
	}
	zipPath := filepath.Join(r.state, "s3", key)
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatalf("the upload is not a zip: %v", err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	zr.Close()
	slices.Sort(names)
	forbidden := regexp.MustCompile(`(^|/)(node_modules|__pycache__|tests?|pytest|_pytest|esbuild)(/|$)|\.pyc$|\.test\.js$|^test_|/test_`)
	for _, n := range names {
		if forbidden.MatchString(n) {
			t.Errorf("the release zip ships %s", n)
		}
	}
	if !slices.Equal(names, c.files) {
		t.Errorf("the release zip holds %v, want exactly %v", names, c.files)
	}
	body, _ := os.ReadFile(zipPath)
	sum := sha256.Sum256(body)
	var release map[string]string
	raw, _ := os.ReadFile(filepath.Join(r.work, "release.json"))
	if err := json.Unmarshal(raw, &release); err != nil {
		t.Fatalf("release.json: %v\n%s", err, raw)
	}
	want := map[string]string{"service": c.service, "release": exampleTag, "bucket": "packages-bucket", "key": key,
		"codeSha256": base64.StdEncoding.EncodeToString(sum[:]), "sourceVersion": "4f2a9c1"}
	if !maps.Equal(release, want) {
		t.Errorf("release.json %v, want %v", release, want)
	}
	return zipPath
}

// checkHandlersRunFromTheZip unpacks the release alone (no node_modules, no site-packages
// around it), checks that every handler the definition names (the function's and its hooks')
// is a function there, and invokes the function's handler with the example event.
func checkHandlersRunFromTheZip(t *testing.T, c exampleCase, svc *stacks.Service, zipPath, python string) {
	t.Helper()
	dir := t.TempDir()
	unzip(t, zipPath, dir)
	handlers := []string{svc.Spec.Lambda.Handler}
	for _, e := range svc.Spec.Stages {
		for _, h := range []string{e.Hooks.PreTraffic, e.Hooks.PostTraffic} {
			if h != "" && !slices.Contains(handlers, h) {
				handlers = append(handlers, h)
			}
		}
	}
	var cmd *exec.Cmd
	if strings.HasPrefix(svc.Spec.Lambda.Runtime, "python") {
		cmd = exec.Command(python, "-S", "-c", pythonInvoke, c.event, strings.Join(handlers, ","))
		cmd.Env = append(os.Environ(), "PYTHONPATH="+dir, "PYTHONDONTWRITEBYTECODE=1")
	} else {
		cmd = exec.Command("node", "-e", nodeInvoke, c.event, strings.Join(handlers, ","))
		cmd.Env = append(os.Environ(), "NODE_PATH=")
	}
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the handlers %v do not run from the zip alone: %v\n%s", handlers, err, errOutput(err))
	}
	// The handler's own logs come first; its answer is the last line.
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var res struct {
		StatusCode int `json:"statusCode"`
	}
	if json.Unmarshal([]byte(lines[len(lines)-1]), &res) != nil || res.StatusCode != c.status {
		t.Errorf("%s from the zip answered %s, want status %d", handlers[0], out, c.status)
	}
}

func unzip(t *testing.T, zipPath, dir string) {
	t.Helper()
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		dest := filepath.Join(dir, filepath.FromSlash(f.Name))
		if !strings.HasPrefix(dest, dir+string(filepath.Separator)) {
			t.Fatalf("zip entry %s leaves the folder", f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(dest), 0o755)
		if err := os.WriteFile(dest, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func errOutput(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

// nodeInvoke and pythonInvoke resolve "module.function" handlers as Lambda does, from the
// current directory, and print the first one's answer to the event on the last line.
const nodeInvoke = `
const [event, handlers] = process.argv.slice(1);
const fns = handlers.split(",").map((h) => {
  const [mod, name] = h.split(".");
  const fn = require(require("path").resolve(mod))[name];
  if (typeof fn !== "function") throw new Error(h + " is not a function in the zip");
  return fn;
});
fns[0](JSON.parse(event)).then((r) => console.log(JSON.stringify(r)));
`

const pythonInvoke = `
import importlib, json, sys
event, handlers = sys.argv[1], sys.argv[2].split(",")
fns = []
for h in handlers:
    mod, name = h.rsplit(".", 1)
    fn = getattr(importlib.import_module(mod), name, None)
    if not callable(fn):
        raise SystemExit(h + " is not a function in the zip")
    fns.append(fn)
print(json.dumps(fns[0](json.loads(event), None)))
`

// checkContainerBuild checks the docker build's arguments (the example's Dockerfile, the build
// tag, the context, the pinned base image), what the Dockerfile does with them, and the
// build's artifacts.
func checkContainerBuild(t *testing.T, c exampleCase, svc *stacks.Service, r run) {
	t.Helper()
	repo := "111111111111.dkr.ecr.eu-west-1.amazonaws.com/" + c.service
	docker, _ := os.ReadFile(filepath.Join(r.state, "docker"))
	var builds []string
	for _, l := range strings.Split(strings.TrimSpace(string(docker)), "\n") {
		if strings.HasPrefix(l, "build ") {
			builds = append(builds, l)
		}
	}
	ct := svc.Spec.Container
	want := "build --file ./" + svc.Spec.InFolder(ct.Dockerfile) + " --tag " + repo + ":" + exampleTag
	if ct.BaseImage != nil {
		want += " --build-arg BASE_IMAGE=" + baseImage
	}
	want += " ./" + svc.Spec.InFolder(ct.Context)
	if len(builds) != 1 || builds[0] != want {
		t.Errorf("docker builds %q, want %q", builds, want)
	}
	if !strings.Contains(string(docker), "push "+repo+":"+exampleTag) {
		t.Errorf("the image was not pushed:\n%s", docker)
	}
	checkDockerfile(t, filepath.Join(r.work, svc.Spec.InFolder(ct.Dockerfile)), filepath.Join(r.work, svc.Spec.InFolder(ct.Context)))
	var detail, release map[string]string
	b, _ := os.ReadFile(filepath.Join(r.work, "imageDetail.json"))
	json.Unmarshal(b, &detail)
	b, _ = os.ReadFile(filepath.Join(r.work, "release.json"))
	json.Unmarshal(b, &release)
	if !strings.HasPrefix(detail["ImageURI"], repo+"@sha256:") || release["image"] != detail["ImageURI"] ||
		release["release"] != exampleTag || release["service"] != c.service {
		t.Errorf("imageDetail.json %v, release.json %v", detail, release)
	}
}

// checkDockerfile reads the Dockerfile docker was given: it must take the base image the
// pipeline passes (ARG BASE_IMAGE before FROM ${BASE_IMAGE}), copy only what exists in the
// context, and run its command as a non-root user without npm (which writes its logs under
// the home directory: the task runs with a read-only root file system).
func checkDockerfile(t *testing.T, path, context string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no Dockerfile where docker build reads it: %v", err)
	}
	var user, cmd string
	argBase, fromBase := false, false
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch strings.ToUpper(f[0]) {
		case "ARG":
			argBase = argBase || strings.HasPrefix(f[1], "BASE_IMAGE")
		case "FROM":
			fromBase = fromBase || argBase && (f[1] == "${BASE_IMAGE}" || f[1] == "$BASE_IMAGE")
		case "USER":
			user = f[1]
		case "CMD", "ENTRYPOINT":
			cmd = strings.Join(f[1:], " ")
		case "COPY":
			for _, src := range f[1 : len(f)-1] {
				if _, err := os.Stat(filepath.Join(context, src)); err != nil && !strings.HasPrefix(src, "--") {
					t.Errorf("COPY %s: not in the build context: %v", src, err)
				}
			}
		}
	}
	if !fromBase {
		t.Error("the Dockerfile does not build FROM ${BASE_IMAGE} declared by an ARG before it: the pipeline's base image would be ignored")
	}
	if u := strings.Split(user, ":")[0]; u == "" || u == "root" || u == "0" {
		t.Errorf("the image runs as root (USER %q)", user)
	}
	if cmd == "" || strings.Contains(cmd, "npm") {
		t.Errorf("the image's command %q: want the server started directly (npm writes under the home directory)", cmd)
	}
}

// orders' integration test (its definition's integrationTest: npm ci, npm run
// test:integration) runs through its CodeBuild project against the release the build zipped:
// the stand-in aws plays `lambda invoke` by running the handler from the unpacked zip. A
// release that answers errors fails the action.
func TestOrdersIntegrationTestInvokesTheRelease(t *testing.T) {
	python := exampleTools(t)
	c := exampleCases[slices.IndexFunc(exampleCases, func(c exampleCase) bool { return c.service == "orders" })]
	build := runExampleBuild(t, c, python, nil)
	if !build.ok {
		t.Fatalf("build failed:\n%s", build.output)
	}
	code := t.TempDir()
	unzip(t, filepath.Join(build.state, "s3", "orders", exampleTag+".zip"), code)
	const arn = "arn:aws:lambda:eu-west-1:111111111111:function:orders-staging:live"
	for name, c := range map[string]struct {
		handler string
		ok      bool
	}{
		"the release":                {fixture.service(t, "orders").Spec.Lambda.Handler, true},
		"a release answering errors": {"broken.handler", false},
	} {
		t.Run(name, func(t *testing.T) {
			os.WriteFile(filepath.Join(code, "broken.js"), []byte("exports.handler = async () => ({ statusCode: 500, body: '{}' });\n"), 0o644)
			invoke := filepath.Join(t.TempDir(), "invoke")
			os.WriteFile(invoke, []byte(fmt.Sprintf(`#!/usr/bin/env bash
[ "$1" = %s ] || { echo "invoked $1" >&2; exit 1; }
cd %s && exec node -e %s "$2"
`, buildspec.ShellQuote(arn), buildspec.ShellQuote(code), buildspec.ShellQuote(invokeHandler(c.handler)))), 0o755)
			env := projectEnv(t, fixture, "orders-pipeline", "orders-integration-test-staging",
				map[string]string{"RELEASE": exampleTag, "FUNCTION_ARN": arn, "LAMBDA_INVOKE": invoke})
			r := runSpec(t, buildSpec(t, fixture, "orders-pipeline", "orders-integration-test-staging"), env, func(work, state string) {
				if err := copyExample(filepath.Join("..", "examples", "node-lambda"), work); err != nil {
					t.Fatal(err)
				}
			})
			if r.ok != c.ok {
				t.Fatalf("integration test ok=%v, want %v:\n%s", r.ok, c.ok, r.output)
			}
			if !c.ok && !strings.Contains(r.output, "500 !== 201") {
				t.Errorf("the failure is not the release's 500:\n%s", r.output)
			}
			if calls := r.called("lambda invoke --function-name " + arn + " --cli-binary-format raw-in-base64-out"); len(calls) != 2 {
				t.Errorf("want the two integration tests to invoke the staging alias, got %v", r.awsCalls)
			}
		})
	}
}

// invokeHandler is node code that runs a "module.function" handler of the current directory
// on the JSON event in its first argument and prints the answer alone on stdout.
func invokeHandler(handler string) string {
	mod, fn, _ := strings.Cut(handler, ".")
	return fmt.Sprintf(`console.log = console.error;
require(require("path").resolve(%q))[%q](JSON.parse(process.argv[1])).then((r) => process.stdout.write(JSON.stringify(r)));`, mod, fn)
}
