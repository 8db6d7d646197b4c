package test

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/golden-pipelines/microservice-pipelines/constructs/buildspec"
	"github.com/golden-pipelines/microservice-pipelines/constructs/lambdaservice"
	"github.com/golden-pipelines/microservice-pipelines/constructs/pipeline"
	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// buildSpec returns the parsed buildspec of a CodeBuild project, exactly as synthesized.
func buildSpec(t *testing.T, app *synthesized, stack, project string) map[string]interface{} {
	t.Helper()
	for _, r := range app.resources(t, stack, "AWS::CodeBuild::Project") {
		p := props(r)
		if p["Name"] != project {
			continue
		}
		text, ok := p["Source"].(map[string]interface{})["BuildSpec"].(string)
		if !ok {
			t.Fatalf("%s: buildspec is not a plain string", project)
		}
		var out map[string]interface{}
		if err := yaml.Unmarshal([]byte(text), &out); err != nil {
			t.Fatalf("%s: buildspec is not YAML: %v", project, err)
		}
		return out
	}
	t.Fatalf("%s: no project %s", stack, project)
	return nil
}

// projectEnv returns the plain environment variables the CodeBuild project sets, with the
// given overrides (for values the template holds as references, like bucket names).
func projectEnv(t *testing.T, app *synthesized, stack, project string, overrides map[string]string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range app.resources(t, stack, "AWS::CodeBuild::Project") {
		p := props(r)
		if p["Name"] != project {
			continue
		}
		vars, _ := p["Environment"].(map[string]interface{})["EnvironmentVariables"].([]interface{})
		for _, v := range vars {
			v := v.(map[string]interface{})
			if s, ok := v["Value"].(string); ok {
				out[v["Name"].(string)] = s
			}
		}
	}
	for k, v := range overrides {
		out[k] = v
	}
	return out
}

// run is the outcome of running a buildspec locally.
type run struct {
	ok       bool
	output   string
	awsCalls []string
	sessions []awsCall // the calls with the session each ran in
	exported map[string]string
	work     string // the source directory the phases ran in
	state    string // the stand-in AWS state
}

// awsCall is one call of the stand-in aws with the credentials and region it ran with.
type awsCall struct {
	args                  string
	key, secret, token    string // AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
	region, defaultRegion string // AWS_REGION, AWS_DEFAULT_REGION
}

func (c awsCall) String() string {
	return fmt.Sprintf("%q (key=%q secret=%q token=%q region=%q default-region=%q)", c.args, c.key, c.secret, c.token, c.region, c.defaultRegion)
}

// fakeAWS is the stand-in aws command. It records every call in $AWS_STATE/calls and, with the
// session it ran in, in $AWS_STATE/sessions: one line a call, the tab-separated
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION, AWS_DEFAULT_REGION
// and the arguments (newlines as spaces), which run.sessions reads back. It keeps just enough
// state to play STS, S3, SSM, CloudFormation, CodePipeline and ECR:
//   - sts assume-role of arn:aws:iam::<account>:role/<name> answers, for the query
//     Credentials.[AccessKeyId,SecretAccessKey,SessionToken] with --output text, the three
//     fields AKIA<account>, secret-for-<name> and token-<n>-for-<name> (n counts the
//     assume-role calls of the run), JSON otherwise; it fails with AccessDenied, as for a
//     target not bootstrapped to trust the pipeline's account, when $DENY_ASSUME is set;
//   - S3 holds the objects of the home package bucket ($RELEASE_BUCKET; any bucket when it is
//     not set) under $AWS_STATE/s3/<key>, those of any other bucket under
//     $AWS_STATE/buckets/<bucket>/<key>. s3api put-object stores the body and, like S3's
//     conditional write with --if-none-match '*', refuses to replace an existing object;
//     head-object fails for a missing object; get-object copies it to its outfile;
//   - ssm get-parameter answers the task-definition parameter ($AWS_STATE/task-definition-arn,
//     ParameterNotFound without it), the URL parameter (http://<stage>.example.com), the
//     package bucket parameter (packages-<account>-<region> of the session that reads it:
//     the account of its AKIA<account> key, "home" without a key, and its AWS_REGION), or the
//     release parameter ($AWS_STATE/param), which put-parameter writes;
//   - cloudformation plays one stack: describe-stacks fails as for a stack that does not exist
//     when $AWS_STATE/stack-missing exists; otherwise it answers the parameter keys
//     ($STACK_PARAMS), the release the stack resolved ($AWS_STATE/running), or the next status:
//     from $AWS_STATE/before until an update started, then from $AWS_STATE/statuses (the last
//     line repeats; no file: UPDATE_COMPLETE), failing the first $STATUS_ERRORS status calls as
//     a throttled API would, and all of them as for a role that may not read it when
//     $STATUS_DENIED is set. An update resolves the release parameter when it starts, and the
//     stack runs that release once a status UPDATE_COMPLETE* is answered (a rollback keeps the
//     old one). update-stack answers "No updates" when the parameter names what runs, fails
//     the first $AWS_STATE/busy-count calls as for a stack that is busy, and fails with
//     $UPDATE_ERROR when set; cancel-update-stack fails with $CANCEL_ERROR when set;
//   - codepipeline stop-pipeline-execution fails when $FAIL_STOP is set;
//   - lambda invoke runs $LAMBDA_INVOKE <function> <payload> and writes its answer to the
//     outfile.
const fakeAWS = `#!/usr/bin/env bash
set -u
printf '%s\n' "$*" >> "$AWS_STATE/calls"
printf '%s\t%s\t%s\t%s\t%s\t%s\n' "${AWS_ACCESS_KEY_ID:-}" "${AWS_SECRET_ACCESS_KEY:-}" "${AWS_SESSION_TOKEN:-}" \
  "${AWS_REGION:-}" "${AWS_DEFAULT_REGION:-}" "${*//$'\n'/ }" >> "$AWS_STATE/sessions"
arg() { local want=$1; shift; while [ $# -gt 0 ]; do if [ "$1" = "$want" ]; then echo "$2"; return; fi; shift; done; }
object() { # object <bucket> <key>: where the stand-in S3 keeps it
  if [ "$1" = "${RELEASE_BUCKET:-$1}" ]; then echo "$AWS_STATE/s3/$2"; else echo "$AWS_STATE/buckets/$1/$2"; fi
}
next() { # next line of a status queue file; the last line repeats
  local f=$1; [ -s "$f" ] || { echo "$2"; return; }
  head -n 1 "$f"; [ "$(wc -l < "$f")" -le 1 ] || sed -i 1d "$f"
}
case "$1 $2" in
  "sts assume-role")
    role=$(arg --role-arn "$@")
    [ -z "${DENY_ASSUME:-}" ] || { echo "An error occurred (AccessDenied) when calling the AssumeRole operation: User: arn:aws:sts::111111111111:assumed-role/codebuild/AWSCodeBuild is not authorized to perform: sts:AssumeRole on resource: $role" >&2; exit 254; }
    case "$role" in
      arn:aws:iam::[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]:role/?*) ;;
      *) echo "An error occurred (ValidationError) when calling the AssumeRole operation: $role is not a role ARN" >&2; exit 254 ;;
    esac
    account=${role#arn:aws:iam::}; account=${account%%:*}; name=${role##*/}
    n=$(( $(cat "$AWS_STATE/assumed" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$AWS_STATE/assumed"
    if [ "$(arg --query "$@")" = "Credentials.[AccessKeyId,SecretAccessKey,SessionToken]" ] && [ "$(arg --output "$@")" = text ]; then
      printf 'AKIA%s\tsecret-for-%s\ttoken-%s-for-%s\n' "$account" "$name" "$n" "$name"
    else
      printf '{"Credentials": {"AccessKeyId": "AKIA%s", "SecretAccessKey": "secret-for-%s", "SessionToken": "token-%s-for-%s"}}\n' "$account" "$name" "$n" "$name"
    fi ;;
  "s3api put-object")
    [ -z "${FAIL_UPLOAD:-}" ] || { echo "upload failed: AccessDenied" >&2; exit 1; }
    dest=$(object "$(arg --bucket "$@")" "$(arg --key "$@")")
    if [ -e "$dest" ] && [ "$(arg --if-none-match "$@")" = "*" ]; then echo "An error occurred (PreconditionFailed)" >&2; exit 254; fi
    mkdir -p "$(dirname "$dest")"; cp "$(arg --body "$@")" "$dest" ;;
  "s3api head-object")
    [ -e "$(object "$(arg --bucket "$@")" "$(arg --key "$@")")" ] || { echo "An error occurred (404) when calling the HeadObject operation: Not Found" >&2; exit 254; } ;;
  "s3api get-object")
    src=$(object "$(arg --bucket "$@")" "$(arg --key "$@")")
    [ -e "$src" ] || { echo "An error occurred (NoSuchKey) when calling the GetObject operation: The specified key does not exist." >&2; exit 254; }
    cp "$src" "${!#}"; echo '{"ContentLength": 1}' ;;
  "ssm get-parameter")
    case "$(arg --name "$@")" in
      */task-definition)
        [ -e "$AWS_STATE/task-definition-arn" ] || { echo "An error occurred (ParameterNotFound) when calling the GetParameter operation:" >&2; exit 254; }
        cat "$AWS_STATE/task-definition-arn" ;;
      */url) echo "http://$(basename "$(dirname "$(arg --name "$@")")").example.com" ;;
      */package-bucket) account=${AWS_ACCESS_KEY_ID:+${AWS_ACCESS_KEY_ID#AKIA}}; echo "packages-${account:-home}-${AWS_REGION:-unset}" ;;
      *) cat "$AWS_STATE/param" ;;
    esac ;;
  "ssm put-parameter") arg --value "$@" > "$AWS_STATE/param" ;;
  "cloudformation describe-stacks")
    if [ -e "$AWS_STATE/stack-missing" ]; then
      echo "An error occurred (ValidationError) when calling the DescribeStacks operation: Stack with id $(arg --stack-name "$@") does not exist" >&2; exit 254
    fi
    case "$(arg --query "$@")" in
      *ResolvedValue*) cat "$AWS_STATE/running" ;;
      *ParameterKey*)
        [ -z "${FAIL_PARAM_KEYS:-}" ] || { echo "An error occurred (AccessDenied) when calling DescribeStacks" >&2; exit 254; }
        echo "$STACK_PARAMS" ;;
      *StackStatus*)
        [ -z "${STATUS_DENIED:-}" ] || { echo "An error occurred (AccessDenied) when calling the DescribeStacks operation: not authorized" >&2; exit 254; }
        errors=$(cat "$AWS_STATE/status-errors" 2>/dev/null || echo "${STATUS_ERRORS:-0}")
        if [ "$errors" -gt 0 ]; then echo $((errors - 1)) > "$AWS_STATE/status-errors"; echo "An error occurred (Throttling): Rate exceeded" >&2; exit 254; fi
        echo 0 > "$AWS_STATE/status-errors"
        if [ -e "$AWS_STATE/resolving" ]; then
          status=$(next "$AWS_STATE/statuses" UPDATE_COMPLETE)
          case "$status" in UPDATE_COMPLETE*) cp "$AWS_STATE/resolving" "$AWS_STATE/running" ;; esac
        else
          status=$(next "$AWS_STATE/before" UPDATE_COMPLETE)
        fi
        echo "$status" ;;
    esac ;;
  "cloudformation update-stack")
    busy=$(cat "$AWS_STATE/busy-count" 2>/dev/null || echo 0)
    if [ "$busy" -gt 0 ]; then
      echo $((busy - 1)) > "$AWS_STATE/busy-count"
      echo "An error occurred (ValidationError) when calling the UpdateStack operation: Stack:arn:aws:cloudformation:eu-west-1:111111111111:stack/x/y is in UPDATE_COMPLETE_CLEANUP_IN_PROGRESS state and can not be updated." >&2; exit 254
    fi
    if [ -n "${UPDATE_ERROR:-}" ]; then echo "$UPDATE_ERROR" >&2; exit 254; fi
    if [ "$(cat "$AWS_STATE/param")" = "$(cat "$AWS_STATE/running")" ]; then
      echo "An error occurred (ValidationError) when calling the UpdateStack operation: No updates are to be performed." >&2; exit 254
    fi
    cp "$AWS_STATE/param" "$AWS_STATE/resolving"
    echo '{"StackId": "arn:aws:cloudformation:eu-west-1:111111111111:stack/x/y"}' ;;
  "cloudformation describe-stack-events") printf 'ServiceLive\tDeployment failed: alarm orders-staging-errors fired\n' ;;
  "cloudformation cancel-update-stack")
    if [ -n "${CANCEL_ERROR:-}" ]; then echo "$CANCEL_ERROR" >&2; exit 254; fi ;;
  "codepipeline stop-pipeline-execution")
    [ -z "${FAIL_STOP:-}" ] || { echo "An error occurred (AccessDeniedException) when calling StopPipelineExecution" >&2; exit 254; } ;;
  "ecr get-login-password") echo "ecr-token" ;;
  "ecr describe-images") [ -s "$AWS_STATE/digest" ] && cat "$AWS_STATE/digest" || echo None ;;
  "ecr batch-get-image")
    [ -z "${FAIL_BATCH_GET:-}" ] || { echo "An error occurred (AccessDeniedException) when calling BatchGetImage" >&2; exit 254; }
    echo '{"schemaVersion":2}' ;;
  "ecr put-image")
    [ -z "${FAIL_PUT_IMAGE:-}" ] || { echo "An error occurred (AccessDeniedException) when calling PutImage" >&2; exit 254; }
    tag=$(arg --image-tag "$@")
    if grep -qx "$tag" "$AWS_STATE/tags" 2>/dev/null; then echo "An error occurred (ImageAlreadyExistsException)" >&2; exit 254; fi
    echo "$tag" >> "$AWS_STATE/tags" ;;
  "ecs describe-task-definition") cat "$AWS_STATE/current-taskdef.json" ;;
  "lambda invoke")
    # Plays the function with $LAMBDA_INVOKE <function> <payload>. Like AWS CLI v2, it reads a
    # raw JSON payload only with --cli-binary-format raw-in-base64-out (base64 otherwise).
    [ -n "${LAMBDA_INVOKE:-}" ] || { echo "stand-in aws: no function to invoke" >&2; exit 2; }
    payload=$(arg --payload "$@")
    if [ "$(arg --cli-binary-format "$@")" != raw-in-base64-out ]; then
      payload=$(printf '%s' "$payload" | base64 -d 2>/dev/null) || { echo "Invalid base64: $(arg --payload "$@")" >&2; exit 255; }
    fi
    "$LAMBDA_INVOKE" "$(arg --function-name "$@")" "$payload" > "${!#}" || exit 254
    echo '{"StatusCode": 200, "ExecutedVersion": "7"}' ;;
  *) echo "stand-in aws: unexpected call: $*" >&2; exit 2 ;;
esac
`

// fakeDocker is the stand-in docker command: it records calls in $AWS_STATE/docker, reads the
// login password from standard input, fails a build or push on request, and "pushes" by
// recording a digest that the stand-in aws's ecr describe-images then answers.
const fakeDocker = `#!/usr/bin/env bash
set -u
printf '%s\n' "$*" >> "$AWS_STATE/docker"
case "$1" in
  login) [ "$(cat)" = "ecr-token" ] || { echo "login: wrong password" >&2; exit 1; } ;;
  build) [ -z "${FAIL_DOCKER_BUILD:-}" ] || { echo "docker build failed: RUN npm ci returned 1" >&2; exit 1; } ;;
  push)
    [ -z "${FAIL_PUSH:-}" ] || { echo "denied: requested access to the resource is denied" >&2; exit 1; }
    printf 'sha256:%s\n' "$(printf '%s' "$2" | sha256sum | cut -d' ' -f1)" > "$AWS_STATE/digest" ;;
  *) echo "stand-in docker: unexpected call: $*" >&2; exit 2 ;;
esac
`

// runSpec runs the phases of a buildspec as CodeBuild does: every command in order in one bash
// shell, stopping at the first command that fails. env holds the project and action variables;
// setup prepares the source directory and the AWS state.
func runSpec(t *testing.T, bs map[string]interface{}, env map[string]string, setup func(work, state string)) run {
	t.Helper()
	dir := t.TempDir()
	work, state, bin := filepath.Join(dir, "src"), filepath.Join(dir, "aws"), filepath.Join(dir, "bin")
	for _, d := range []string{work, filepath.Join(state, "s3"), bin} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, script := range map[string]string{"aws": fakeAWS, "docker": fakeDocker} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if setup != nil {
		setup(work, state)
	}
	var script strings.Builder
	script.WriteString("cd " + buildspec.ShellQuote(work) + "\n")
	// CodeBuild sets the buildspec's env.variables for every phase.
	if vars, ok := bs["env"].(map[string]interface{})["variables"].(map[string]interface{}); ok {
		for k, v := range vars {
			fmt.Fprintf(&script, "export %s=%s\n", k, buildspec.ShellQuote(fmt.Sprint(v)))
		}
	}
	phases := bs["phases"].(map[string]interface{})
	for _, name := range buildspec.PhaseNames {
		phase, ok := phases[name].(map[string]interface{})
		if !ok {
			continue
		}
		cmds, _ := phase["commands"].([]interface{})
		for i, c := range cmds {
			fmt.Fprintf(&script, "%s\nrc=$?; if [ $rc -ne 0 ]; then echo \"phase %s command %d failed ($rc)\" >&2; exit $rc; fi\n", c, name, i)
		}
	}
	if exported, ok := bs["env"].(map[string]interface{})["exported-variables"].([]interface{}); ok {
		for _, v := range exported {
			fmt.Fprintf(&script, "echo \"%s=${%s:-}\" >> %s\n", v, v, buildspec.ShellQuote(filepath.Join(state, "exported")))
		}
	}
	cmd := exec.Command("bash", "-c", script.String())
	// The session the steps start in is the project's own: no credentials or region of the
	// developer's shell leak into what the stand-in records.
	for _, kv := range os.Environ() {
		switch name, _, _ := strings.Cut(kv, "="); name {
		case "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE":
		default:
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "PATH="+bin+":"+os.Getenv("PATH"), "AWS_STATE="+state, "WORK_LOG="+filepath.Join(state, "work.log"))
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	r := run{ok: err == nil, output: string(out), exported: map[string]string{}, work: work, state: state}
	if calls, err := os.ReadFile(filepath.Join(state, "calls")); err == nil {
		r.awsCalls = strings.Split(strings.TrimSpace(string(calls)), "\n")
	}
	if sessions, err := os.ReadFile(filepath.Join(state, "sessions")); err == nil {
		for _, line := range strings.Split(strings.TrimSuffix(string(sessions), "\n"), "\n") {
			f := strings.SplitN(line, "\t", 6)
			if len(f) != 6 {
				t.Fatalf("stand-in aws recorded a session line %q", line)
			}
			r.sessions = append(r.sessions, awsCall{key: f[0], secret: f[1], token: f[2], region: f[3], defaultRegion: f[4], args: f[5]})
		}
	}
	if exp, err := os.ReadFile(filepath.Join(state, "exported")); err == nil {
		for _, line := range strings.Split(strings.TrimSpace(string(exp)), "\n") {
			k, v, _ := strings.Cut(line, "=")
			r.exported[k] = v
		}
	}
	return r
}

func (r run) called(prefix string) []string {
	var out []string
	for _, c := range r.awsCalls {
		if strings.HasPrefix(c, prefix) {
			out = append(out, c)
		}
	}
	return out
}

const buildID = "scripted-build:0b7e2c4e-5a1d-4c1e-9d1a-3f8f0c6e2b11"

var buildEnv = map[string]string{
	"CODEBUILD_BUILD_ID":                buildID,
	"CODEBUILD_RESOLVED_SOURCE_VERSION": "4f2a9c1",
	"RELEASE_BUCKET":                    "packages-bucket",
}

func TestBuildNamesThePackageByBuildIDAndUploadsItOnce(t *testing.T) {
	bs := buildSpec(t, variants, "scripted-pipeline", "scripted-build")
	r := runSpec(t, bs, projectEnv(t, variants, "scripted-pipeline", "scripted-build", buildEnv), nil)
	if !r.ok {
		t.Fatalf("build failed:\n%s", r.output)
	}
	const tag = "build-0b7e2c4e-5a1d-4c1e-9d1a-3f8f0c6e2b11"
	if r.exported["BUILD_TAG"] != tag {
		t.Errorf("exported BUILD_TAG %q, want %q", r.exported["BUILD_TAG"], tag)
	}
	puts := r.called("s3api put-object")
	if len(puts) != 1 {
		t.Fatalf("want one upload, got %v", puts)
	}
	for _, want := range []string{"--bucket packages-bucket", "--key scripted/" + tag + ".zip", "--if-none-match *"} {
		if !strings.Contains(puts[0], want) {
			t.Errorf("upload %q lacks %q", puts[0], want)
		}
	}
	// What was uploaded: a zip of the package directory, whose CodeSha256 is recorded.
	uploaded := filepath.Join(r.state, "s3", "scripted", tag+".zip")
	body, err := os.ReadFile(uploaded)
	if err != nil {
		t.Fatalf("nothing uploaded: %v", err)
	}
	zr, err := zip.OpenReader(uploaded)
	if err != nil {
		t.Fatalf("upload is not a zip: %v", err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	zr.Close()
	if strings.Join(names, ",") != "index.js" {
		t.Errorf("package holds %v, want exactly index.js at its root", names)
	}
	sum := sha256.Sum256(body)
	wantSha := base64.StdEncoding.EncodeToString(sum[:])
	var release map[string]string
	raw, err := os.ReadFile(filepath.Join(r.work, "release.json"))
	if err != nil {
		t.Fatalf("no release.json artifact: %v", err)
	}
	if err := json.Unmarshal(raw, &release); err != nil {
		t.Fatalf("release.json is not JSON: %v\n%s", err, raw)
	}
	want := map[string]string{"service": "scripted", "release": tag, "bucket": "packages-bucket",
		"key": "scripted/" + tag + ".zip", "codeSha256": wantSha, "sourceVersion": "4f2a9c1"}
	for k, v := range want {
		if release[k] != v {
			t.Errorf("release.json %s = %q, want %q", k, release[k], v)
		}
	}
	if !strings.Contains(puts[0], "code-sha256="+wantSha) {
		t.Errorf("upload metadata lacks the CodeSha256: %s", puts[0])
	}
	if _, err := os.Stat(filepath.Join(r.work, "reports", "junit.xml")); err != nil {
		t.Errorf("unit-test report not written where the report group reads it: %v", err)
	}
}

func TestBuildFailures(t *testing.T) {
	bs := buildSpec(t, variants, "scripted-pipeline", "scripted-build")
	cases := []struct {
		name    string
		env     map[string]string
		setup   func(work, state string)
		message string
	}{
		{"failing unit test", map[string]string{"FAIL_TESTS": "1"}, nil, "1 test failed"},
		{"failing upload", map[string]string{"FAIL_UPLOAD": "1"}, nil, "AccessDenied"},
		{"empty package", map[string]string{"EMPTY_PACKAGE": "1"}, nil, "nothing to release"},
		{"build ID without uuid", map[string]string{"CODEBUILD_BUILD_ID": "scripted-build"}, nil, "has no build uuid"},
		{"release object already exists", nil, func(work, state string) {
			dest := filepath.Join(state, "s3", "scripted", "build-0b7e2c4e-5a1d-4c1e-9d1a-3f8f0c6e2b11.zip")
			os.MkdirAll(filepath.Dir(dest), 0o755)
			os.WriteFile(dest, []byte("the released package"), 0o644)
		}, "PreconditionFailed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := projectEnv(t, variants, "scripted-pipeline", "scripted-build", buildEnv)
			for k, v := range c.env {
				env[k] = v
			}
			r := runSpec(t, bs, env, c.setup)
			if r.ok {
				t.Fatalf("build succeeded, want failure:\n%s", r.output)
			}
			if !strings.Contains(r.output, c.message) {
				t.Errorf("output lacks %q:\n%s", c.message, r.output)
			}
			if _, err := os.Stat(filepath.Join(r.work, "release.json")); err == nil {
				t.Error("a failed build wrote release.json")
			}
			if c.name == "release object already exists" {
				b, _ := os.ReadFile(filepath.Join(r.state, "s3", "scripted", "build-0b7e2c4e-5a1d-4c1e-9d1a-3f8f0c6e2b11.zip"))
				if string(b) != "the released package" {
					t.Error("the existing release object was overwritten")
				}
			}
		})
	}
}

// deployCase is one run of the staging deploy project of the scripted service against the
// stand-in CloudFormation, whose stack runs build-previous.
type deployCase struct {
	release string
	// before are the stack's statuses before the step's update starts (default UPDATE_COMPLETE),
	// statuses those after it (default UPDATE_COMPLETE).
	before, statuses []string
	env              map[string]string
	unpackaged       bool   // no package in the bucket
	param            string // the release parameter at the start (default build-previous)
	running          string // what the stack resolved (default build-previous)
	busy             int    // update-stack calls refused because the stack is busy
	missing          bool   // the stack is not deployed
	project          string // the deploy project (default scripted-deploy-staging)
}

func deployRun(t *testing.T, c deployCase) run {
	t.Helper()
	project := orDefault(c.project, "scripted-deploy-staging")
	bs := buildSpec(t, variants, "scripted-pipeline", project)
	env := projectEnv(t, variants, "scripted-pipeline", project,
		map[string]string{"RELEASE": c.release, "RELEASE_BUCKET": "packages-bucket", "POLL_SECONDS": "0",
			"PIPELINE_EXECUTION_ID": "0f9a8d2c-1b3e-4c5d-8e7f-6a5b4c3d2e1f",
			"STACK_PARAMS":          strings.Join(keys(variants.templates["scripted-staging"]["Parameters"].(map[string]interface{})), "\t")})
	for k, v := range c.env {
		env[k] = v
	}
	param, running := orDefault(c.param, "build-previous"), orDefault(c.running, "build-previous")
	return runSpec(t, bs, env, func(work, state string) {
		write := func(name string, lines ...string) {
			if len(lines) > 0 {
				os.MkdirAll(filepath.Dir(filepath.Join(state, name)), 0o755)
				os.WriteFile(filepath.Join(state, name), []byte(strings.Join(lines, "\n")+"\n"), 0o644)
			}
		}
		write("running", running)
		write("param", param)
		write("before", c.before...)
		write("statuses", c.statuses...)
		write("busy-count", fmt.Sprint(c.busy))
		if c.missing {
			write("stack-missing", "yes")
		}
		if !c.unpackaged {
			write(filepath.Join("s3", "scripted", c.release+".zip"), "zip")
		}
	})
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func param(t *testing.T, r run) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(r.state, "param"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

const statusQuery = "cloudformation describe-stacks --stack-name scripted-staging --query Stacks[0].StackStatus"

func TestDeployReleasesTheBuildAndWaitsForCodeDeploy(t *testing.T) {
	r := deployRun(t, deployCase{release: "build-42", statuses: []string{"UPDATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"}})
	if !r.ok {
		t.Fatalf("deploy failed:\n%s", r.output)
	}
	if got := param(t, r); got != "build-42" {
		t.Errorf("release parameter %q, want build-42", got)
	}
	updates := r.called("cloudformation update-stack")
	if len(updates) != 1 {
		t.Fatalf("want one stack update, got %v", r.awsCalls)
	}
	for _, want := range []string{"--stack-name scripted-staging", "--use-previous-template",
		"ParameterKey=Release,UsePreviousValue=true", "ParameterKey=BootstrapVersion,UsePreviousValue=true"} {
		if !strings.Contains(updates[0], want) {
			t.Errorf("update %q lacks %q", updates[0], want)
		}
	}
	// The parameter moves before the update (CloudFormation resolves it during the update).
	order := strings.Join(r.awsCalls, "\n")
	if strings.Index(order, "ssm put-parameter") > strings.Index(order, "cloudformation update-stack") {
		t.Error("the release parameter was written after the stack update started")
	}
	// One status read before the update (is the stack settled?), then until it completed, then
	// one as the step settles the parameter on what the stack resolved.
	if n := len(r.called(statusQuery)); n != 5 {
		t.Errorf("read the status %d times, want 1 before the update, 3 until it completed and 1 to settle", n)
	}
	if got := r.called("ssm put-parameter"); len(got) != 2 || !strings.HasSuffix(got[1], "--value build-42") {
		t.Errorf("the parameter was not settled on what the stack resolved: %v", got)
	}
	if !strings.Contains(r.output, "released build-42 to staging") {
		t.Errorf("output does not say what was released:\n%s", r.output)
	}
}

func TestDeployFailsTheActionOnRollbackAndRestoresTheRelease(t *testing.T) {
	r := deployRun(t, deployCase{release: "build-43", statuses: []string{"UPDATE_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE"}})
	if r.ok {
		t.Fatalf("a rolled back deployment passed:\n%s", r.output)
	}
	if !strings.Contains(r.output, "rolled back") || !strings.Contains(r.output, "alarm orders-staging-errors fired") {
		t.Errorf("output does not explain the rollback:\n%s", r.output)
	}
	if got := param(t, r); got != "build-previous" {
		t.Errorf("release parameter %q after a rollback, want the running build-previous", got)
	}
}

// Each case ends with the release parameter naming what the settled stack runs, and the step
// succeeds exactly when that is the release.
func TestDeployOutcomes(t *testing.T) {
	cancelRefused := map[string]string{"TIMEOUT_MINUTES": "0", "CANCEL_ERROR": "An error occurred (ValidationError): CancelUpdateStack cannot be called from current stack status"}
	cases := []struct {
		name    string
		c       deployCase
		message string
		wantOK  bool
		want    string // the release parameter at the end
	}{
		{"movable tag", deployCase{release: "latest"}, "only immutable build-<id> tags", false, "build-previous"},
		{"missing package", deployCase{release: "build-44", unpackaged: true}, "Not Found", false, "build-previous"},
		{"update refused", deployCase{release: "build-45", env: map[string]string{"UPDATE_ERROR": "An error occurred (ValidationError): Parameters: [Release] must have values"}},
			"CloudFormation refused the update", false, "build-previous"},
		{"already released", deployCase{release: "build-46", running: "build-46", param: "build-46"}, "already runs build-46", true, "build-46"},
		{"timeout, cancelled and rolled back", deployCase{release: "build-47", env: map[string]string{"TIMEOUT_MINUTES": "0"},
			statuses: []string{"UPDATE_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE"}}, "no outcome after 0 minutes", false, "build-previous"},
		// The update completed just as the step gave up: the cancel is refused, and what runs
		// is the new release, which the parameter must keep.
		{"timeout, but the update completed", deployCase{release: "build-52", env: cancelRefused,
			statuses: []string{"UPDATE_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"}}, "the cancel was refused", true, "build-52"},
		{"timeout, and the stack never settles", deployCase{release: "build-53", env: map[string]string{"TIMEOUT_MINUTES": "0", "SETTLE_MINUTES": "0", "CANCEL_ERROR": "throttled"},
			statuses: []string{"UPDATE_IN_PROGRESS"}}, "has not settled (UPDATE_IN_PROGRESS)", false, "build-53"},
		{"status calls throttled then complete", deployCase{release: "build-49", env: map[string]string{"STATUS_ERRORS": "2"}}, "trying again", true, "build-49"},
		// An error the step does not handle itself, after the release parameter moved.
		{"unexpected error mid-release", deployCase{release: "build-50", env: map[string]string{"FAIL_PARAM_KEYS": "1"}}, "AccessDenied", false, "build-previous"},
		// The last execution's update is still cleaning up: the update is tried again.
		{"busy stack", deployCase{release: "build-54", busy: 2}, "is busy; trying the update again", true, "build-54"},
		{"busy until the deadline", deployCase{release: "build-55", busy: 1, env: map[string]string{"BUSY_MINUTES": "0"}}, "stayed busy", false, "build-previous"},
		// A refusal no retry cures fails at once, not after hours of polling.
		{"may not read the stack", deployCase{release: "build-59", env: map[string]string{"STATUS_DENIED": "1"}}, "may not read the status of scripted-staging", false, "build-previous"},
		// Someone else's update is running: the step waits for it before moving the parameter.
		{"another update in progress", deployCase{release: "build-56", before: []string{"UPDATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "UPDATE_COMPLETE"}}, "released build-56", true, "build-56"},
		{"stack needs repair", deployCase{release: "build-57", before: []string{"UPDATE_ROLLBACK_FAILED"}}, "in state UPDATE_ROLLBACK_FAILED and cannot be updated", false, "build-previous"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := deployRun(t, c.c)
			if r.ok != c.wantOK {
				t.Fatalf("ok=%v, want %v:\n%s", r.ok, c.wantOK, r.output)
			}
			if !strings.Contains(r.output, c.message) {
				t.Errorf("output lacks %q:\n%s", c.message, r.output)
			}
			if got := param(t, r); got != c.want {
				t.Errorf("release parameter %q, want %q", got, c.want)
			}
			switch c.name {
			case "timeout, cancelled and rolled back", "timeout, but the update completed":
				if len(r.called("cloudformation cancel-update-stack")) != 1 {
					t.Errorf("a timed-out update was not cancelled once: %v", r.awsCalls)
				}
			case "movable tag":
				if len(r.awsCalls) != 0 {
					t.Errorf("a refused tag still called aws: %v", r.awsCalls)
				}
			case "busy stack":
				if n := len(r.called("cloudformation update-stack")); n != 3 {
					t.Errorf("update-stack called %d times, want 3 (two refusals, then the update)", n)
				}
			case "another update in progress":
				calls := strings.Join(r.awsCalls, "\n")
				if strings.Count(calls[:strings.Index(calls, "ssm put-parameter")], statusQuery) != 3 {
					t.Errorf("the parameter moved before the other update ended:\n%s", calls)
				}
			}
		})
	}
}

// A run killed earlier may have left the parameter at a build the stack never ran: a failure
// restores what the stack runs, not what the parameter said.
func TestDeployRestoresWhatTheStackRunsNotAStaleParameter(t *testing.T) {
	r := deployRun(t, deployCase{release: "build-51", statuses: []string{"UPDATE_ROLLBACK_COMPLETE"}, param: "build-stale"})
	if r.ok {
		t.Fatalf("a rolled back deployment passed:\n%s", r.output)
	}
	if got := param(t, r); got != "build-previous" {
		t.Errorf("release parameter %q, want build-previous (what the stack runs)", got)
	}
}

// The pipeline starts an execution as soon as it is created, before the service stacks are
// deployed: the deploy step stops that execution (Stopped, not Failed: no failure
// notification) without touching anything, and says what to do.
func TestDeployStopsTheExecutionWhenTheStackIsNotDeployed(t *testing.T) {
	r := deployRun(t, deployCase{release: "build-58", missing: true})
	if !r.ok {
		t.Fatalf("the first execution failed:\n%s", r.output)
	}
	stops := r.called("codepipeline stop-pipeline-execution")
	if len(stops) != 1 || !strings.Contains(stops[0], "--pipeline-name scripted --pipeline-execution-id 0f9a8d2c-1b3e-4c5d-8e7f-6a5b4c3d2e1f") ||
		strings.Contains(stops[0], "--abandon") {
		t.Errorf("want one stop-and-wait of its own execution, got %v", stops)
	}
	if !strings.Contains(r.output, "scripted-staging is not deployed yet: run cdk deploy scripted-staging") {
		t.Errorf("output does not say what to do:\n%s", r.output)
	}
	if n := len(r.called("ssm put-parameter")) + len(r.called("cloudformation update-stack")); n != 0 {
		t.Errorf("a step for a stack that does not exist changed something: %v", r.awsCalls)
	}
	failed := deployRun(t, deployCase{release: "build-58", missing: true, env: map[string]string{"FAIL_STOP": "1"}})
	if failed.ok {
		t.Errorf("the step passed although it could not stop the execution (the next stages would run):\n%s", failed.output)
	}
}

func TestIntegrationTestFailureFailsTheAction(t *testing.T) {
	bs := buildSpec(t, variants, "scripted-pipeline", "scripted-integration-test-staging")
	env := projectEnv(t, variants, "scripted-pipeline", "scripted-integration-test-staging",
		map[string]string{"RELEASE": "build-48", "FUNCTION_ARN": "arn:fn:scripted-staging:live"})
	ok := runSpec(t, bs, env, nil)
	if !ok.ok {
		t.Fatalf("integration test failed:\n%s", ok.output)
	}
	log, _ := os.ReadFile(filepath.Join(ok.state, "work.log"))
	if !strings.Contains(string(log), "tested build-48 on arn:fn:scripted-staging:live") {
		t.Errorf("the test commands did not see RELEASE and FUNCTION_ARN: %q", log)
	}
	env["FAIL_INTEGRATION"] = "1"
	bad := runSpec(t, bs, env, nil)
	if bad.ok || !strings.Contains(bad.output, "staging answered 500") {
		t.Errorf("a failing integration test passed:\n%s", bad.output)
	}
}

// A service's own commands run as a script of their own (bash -euo pipefail), so nothing they
// hold can end the generated strict-mode steps around them or skip their checks: an unbalanced
// ")", a here-document that never ends, an "exit 0" before the package is made, or a changed
// BUILD_TAG.
func TestUserCommandsCannotEndTheGeneratedSteps(t *testing.T) {
	var scripted spec.Service
	for _, s := range variantServices() {
		if s.Name == "scripted" {
			scripted = s
		}
	}
	for _, c := range []struct {
		name    string
		pkg     []string
		message string // the build fails with this
	}{
		{"unbalanced parenthesis", []string{`mkdir -p dist && echo x > dist/index.js )`}, "syntax error"},
		{"here-document swallowing what follows", []string{`cat <<'END'`, `echo x > dist/index.js`}, "nothing to release"},
		{"exit before packaging", []string{`exit 0`, `mkdir -p dist && echo x > dist/index.js`}, "nothing to release"},
		{"a build tag of its own", []string{`mkdir -p dist && echo x > dist/index.js`, `export BUILD_TAG=latest`}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			svc := scripted
			svc.Build.Package = c.pkg
			svc = svc.WithDefaults()
			if err := svc.Validate(); err != nil {
				t.Fatal(err)
			}
			bs := pipeline.LambdaBuildSpec(svc).Object()
			r := runSpec(t, bs, projectEnv(t, variants, "scripted-pipeline", "scripted-build", buildEnv), nil)
			if c.message == "" {
				if !r.ok || len(r.called("s3api put-object --bucket packages-bucket --key scripted/build-0b7e2c4e-5a1d-4c1e-9d1a-3f8f0c6e2b11.zip")) != 1 {
					t.Errorf("the release was not named by the build's own tag (ok=%v): %v\n%s", r.ok, r.awsCalls, r.output)
				}
				return
			}
			if r.ok || !strings.Contains(r.output, c.message) {
				t.Errorf("ok=%v, want a failed build with %q:\n%s", r.ok, c.message, r.output)
			}
			if len(r.called("s3api put-object")) != 0 {
				t.Errorf("something was released: %v", r.awsCalls)
			}
		})
	}
}

// stagedHome is the home of the staged fixture services (test/fixtures/staged): their pipelines
// and the CodeBuild projects of their steps run in 111111111111/eu-west-1.
const (
	stagedHomeAccount = "111111111111"
	stagedHomeRegion  = "eu-west-1"
	// stagedPackages is the home package bucket (the pipeline's, RELEASE_BUCKET).
	stagedPackages = "shipping-pipeline-packages"
)

// stagedTarget is one target of a staged fixture service and the project of its deploy (Lambda)
// or prepare (container) step.
type stagedTarget struct {
	project string // the step's CodeBuild project
	stage   string
	stackID string // the service stack's ID in the app (cdk ls)
	stack   string // its CloudFormation stack name (STACK_NAME)
	// account and region of the target; both empty at home, where the step needs no role.
	account, region string
}

func (tg stagedTarget) home() bool { return tg.account == "" }

// roleARN is the target's CDK bootstrap deploy role, the one role the step may assume.
func (tg stagedTarget) roleARN() string {
	return fmt.Sprintf("arn:aws:iam::%s:role/cdk-hnb659fds-deploy-role-%s-%s", tg.account, tg.account, tg.region)
}

// session is what a call in the target must run with: the credentials the stand-in STS answers
// for the target's deploy role (its first assume-role of the run: one is enough, the step
// keeps them) and the target's region; at home, no credentials of its own and the home region.
func (tg stagedTarget) session() awsCall {
	if tg.home() {
		return awsCall{region: stagedHomeRegion, defaultRegion: stagedHomeRegion}
	}
	name := fmt.Sprintf("cdk-hnb659fds-deploy-role-%s-%s", tg.account, tg.region)
	return awsCall{key: "AKIA" + tg.account, secret: "secret-for-" + name, token: "token-1-for-" + name,
		region: tg.region, defaultRegion: tg.region}
}

// bucket is the package bucket the stand-in SSM names in the target.
func (tg stagedTarget) bucket() string {
	if tg.home() {
		return "packages-home-" + stagedHomeRegion
	}
	return "packages-" + tg.account + "-" + tg.region
}

// where says whether a call runs in the target (true) or at home (false); known is false for
// a call the step has no business making.
type where func(args string) (inTarget, known bool)

// placesOf builds a where from the commands (the call's leading arguments, up to a space or
// the end) that run at home and those that run in the target.
func placesOf(home, target []string) where {
	match := func(args, prefix string) bool { return args == prefix || strings.HasPrefix(args, prefix+" ") }
	return func(args string) (bool, bool) {
		for _, p := range home {
			if match(args, p) {
				return false, true
			}
		}
		for _, p := range target {
			if match(args, p) {
				return true, true
			}
		}
		return false, false
	}
}

// checkSessions proves that every call the step made ran where it must: a call in the target
// with the target role's credentials and the target's region, a call at home with the
// project's own session (no credentials set, the home region). At home every call runs with
// the project's own session. It also checks the role: at home none is assumed; away exactly
// one assume-role, of the target's bootstrap deploy role, made at home.
func checkSessions(t *testing.T, tg stagedTarget, r run, w where) {
	t.Helper()
	if len(r.sessions) != len(r.awsCalls) {
		t.Fatalf("%d sessions recorded for %d calls", len(r.sessions), len(r.awsCalls))
	}
	home := stagedTarget{}.session()
	for _, c := range r.sessions {
		inTarget, known := w(c.args)
		if !known {
			t.Errorf("unexpected call %s", c)
			continue
		}
		want := home
		if inTarget {
			want = tg.session()
		}
		want.args = c.args
		if c != want {
			place := "at home"
			if inTarget && !tg.home() {
				place = "in the target " + tg.account + "/" + tg.region
			}
			t.Errorf("call ran with the wrong session; it must run %s:\n got %s\nwant %s", place, c, want)
		}
	}
	assumed := r.called("sts assume-role")
	if tg.home() {
		if len(assumed) != 0 {
			t.Errorf("at home the step assumed a role: %v", assumed)
		}
		return
	}
	want := "sts assume-role --role-arn " + tg.roleARN() + " --role-session-name golden-" + strings.Split(tg.project, "-")[0] +
		" --duration-seconds 3600 --query Credentials.[AccessKeyId,SecretAccessKey,SessionToken] --output text"
	if len(assumed) != 1 || assumed[0] != want {
		t.Errorf("want exactly one assume-role of the target's deploy role (the credentials are kept):\n got %q\nwant [%q]", assumed, want)
	}
}

// shippingTargets are the targets of the staged Lambda service, in release order.
var shippingTargets = []stagedTarget{
	{"shipping-deploy-dev", "dev", "shipping-dev", "shipping-dev", "", ""},
	{"shipping-deploy-staging", "staging", "shipping-staging", "shipping-staging", "222222222222", "eu-west-1"},
	{"shipping-deploy-production-eu-west-1", "production", "shipping-production-eu-west-1", "shipping-production", "333333333333", "eu-west-1"},
	{"shipping-deploy-production-us-east-1", "production", "shipping-production-us-east-1", "shipping-production", "333333333333", "us-east-1"},
	{"shipping-deploy-production-us-west-2", "production", "shipping-production-us-west-2", "shipping-production", "333333333333", "us-west-2"},
}

// trackingTargets are the targets of the staged container service, in release order.
var trackingTargets = []stagedTarget{
	{"tracking-prepare-staging", "staging", "tracking-staging", "tracking-staging", "222222222222", "eu-west-1"},
	{"tracking-prepare-production-eu-west-1", "production", "tracking-production-eu-west-1", "tracking-production", "333333333333", "eu-west-1"},
	{"tracking-prepare-production-us-east-1", "production", "tracking-production-us-east-1", "tracking-production", "333333333333", "us-east-1"},
}

// manifestStack is a stack of the staged app's cloud assembly, as cdk deploy reads it.
type manifestStack struct {
	Type        string `json:"type"`
	Environment string `json:"environment"`
	Properties  struct {
		StackName string `json:"stackName"`
	} `json:"properties"`
}

func stagedManifest(t *testing.T) map[string]manifestStack {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(staged.dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Artifacts map[string]manifestStack `json:"artifacts"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m.Artifacts
}

// The target tables the runs below use are the staged app's: one entry for every deploy or
// prepare project of its pipelines, each naming the stack cdk deploy puts in that target's
// account and region, and the project reaching it through that account's and region's CDK
// bootstrap deploy role (none at home).
func TestStagedTargetsAreTheAppsTargets(t *testing.T) {
	manifest := stagedManifest(t)
	for _, c := range []struct {
		stack, prefix string
		targets       []stagedTarget
	}{{"shipping-pipeline", "shipping-deploy-", shippingTargets}, {"tracking-pipeline", "tracking-prepare-", trackingTargets}} {
		var projects, table []string
		for _, r := range staged.resources(t, c.stack, "AWS::CodeBuild::Project") {
			if name, _ := props(r)["Name"].(string); strings.HasPrefix(name, c.prefix) {
				projects = append(projects, name)
			}
		}
		for _, tg := range c.targets {
			table = append(table, tg.project)
		}
		sort.Strings(projects)
		sort.Strings(table)
		if strings.Join(projects, " ") != strings.Join(table, " ") {
			t.Errorf("%s has the projects %v, the table %v", c.stack, projects, table)
		}
		for _, tg := range c.targets {
			account, region := tg.account, tg.region
			if tg.home() {
				account, region = stagedHomeAccount, stagedHomeRegion
			}
			a, ok := manifest[tg.stackID]
			if !ok || a.Type != "aws:cloudformation:stack" {
				t.Errorf("%s: no stack %s in the assembly", tg.project, tg.stackID)
				continue
			}
			name := orDefault(a.Properties.StackName, tg.stackID)
			if a.Environment != "aws://"+account+"/"+region || name != tg.stack {
				t.Errorf("%s: stack %s is %s in %s, want %s in aws://%s/%s", tg.project, tg.stackID, name, a.Environment, tg.stack, account, region)
			}
			env := projectEnv(t, staged, c.stack, tg.project, nil)
			if env["STACK_NAME"] != tg.stack || env["STAGE"] != tg.stage {
				t.Errorf("%s: STACK_NAME %q STAGE %q, want %q %q", tg.project, env["STACK_NAME"], env["STAGE"], tg.stack, tg.stage)
			}
			wantRole, wantRegion := "", ""
			if !tg.home() {
				wantRole, wantRegion = tg.roleARN(), tg.region
			}
			if env["TARGET_ROLE_ARN"] != wantRole || env["TARGET_REGION"] != wantRegion {
				t.Errorf("%s: TARGET_ROLE_ARN %q TARGET_REGION %q, want %q %q", tg.project, env["TARGET_ROLE_ARN"], env["TARGET_REGION"], wantRole, wantRegion)
			}
		}
	}
}

// stagedDeploy is one run of a shipping target's deploy project against the stand-in AWS,
// whose stack runs build-previous.
type stagedDeploy struct {
	statuses []string          // the stack's statuses once the update started (default UPDATE_COMPLETE)
	env      map[string]string // more environment
	copied   string            // what the target's package bucket holds under the release's key ("": nothing)
	missing  bool              // the stack is not deployed
}

func stagedDeployRun(t *testing.T, tg stagedTarget, release string, c stagedDeploy) run {
	t.Helper()
	bs := buildSpec(t, staged, "shipping-pipeline", tg.project)
	env := projectEnv(t, staged, "shipping-pipeline", tg.project, map[string]string{
		"RELEASE": release, "RELEASE_BUCKET": stagedPackages, "POLL_SECONDS": "0",
		"PIPELINE_EXECUTION_ID": "7e1d2c3b-4a5f-4e6d-9c8b-1a2b3c4d5e6f",
		"STACK_PARAMS":          strings.Join(keys(staged.templates[tg.stackID]["Parameters"].(map[string]interface{})), "\t"),
		// CodeBuild runs the project in the pipeline's region.
		"AWS_REGION": stagedHomeRegion, "AWS_DEFAULT_REGION": stagedHomeRegion,
	})
	for k, v := range c.env {
		env[k] = v
	}
	return runSpec(t, bs, env, func(work, state string) {
		write := func(name, content string) {
			os.MkdirAll(filepath.Dir(filepath.Join(state, name)), 0o755)
			os.WriteFile(filepath.Join(state, name), []byte(content), 0o644)
		}
		write("running", "build-previous\n")
		write("param", "build-previous\n")
		if len(c.statuses) > 0 {
			write("statuses", strings.Join(c.statuses, "\n")+"\n")
		}
		write(filepath.Join("s3", "shipping", release+".zip"), "package "+release)
		if c.copied != "" {
			write(filepath.Join("buckets", tg.bucket(), "shipping", release+".zip"), c.copied)
		}
		if c.missing {
			write("stack-missing", "yes")
		}
	})
}

// deployPlaces: what the deploy step does at home (read and copy the package from the
// pipeline's bucket, stop its own execution, assume the role) and what in the target
// (everything on the stack, its release parameter and its package bucket).
func deployPlaces(tg stagedTarget) where {
	releaseParameter := "/golden-pipelines/shipping/" + tg.stage + "/release"
	return placesOf([]string{
		"sts assume-role",
		"s3api head-object --bucket " + stagedPackages,
		"s3api get-object --bucket " + stagedPackages,
		"codepipeline stop-pipeline-execution --pipeline-name shipping",
	}, []string{
		"ssm get-parameter --name /golden-pipelines/package-bucket",
		"ssm get-parameter --name " + releaseParameter,
		"ssm put-parameter --name " + releaseParameter,
		"cloudformation describe-stacks --stack-name " + tg.stack,
		"cloudformation update-stack --stack-name " + tg.stack,
		"cloudformation cancel-update-stack --stack-name " + tg.stack,
		"cloudformation describe-stack-events --stack-name " + tg.stack,
		"s3api head-object --bucket " + tg.bucket(),
		"s3api put-object --bucket " + tg.bucket(),
	})
}

// The deploy step of every shipping target releases through the target's bootstrap deploy
// role: every call on the target's stack, release parameter and package bucket runs as that
// role in the target's region, and only the pipeline's own package bucket and execution are
// reached from home; at home (dev) nothing assumes a role. Away, the package is copied to the
// target's bucket once, before the release parameter names it, and never again.
func TestStagedDeployReachesEachTargetThroughItsDeployRole(t *testing.T) {
	for _, tg := range shippingTargets {
		t.Run(tg.project, func(t *testing.T) {
			key := "shipping/build-61.zip"
			t.Run("release", func(t *testing.T) {
				r := stagedDeployRun(t, tg, "build-61", stagedDeploy{statuses: []string{"UPDATE_IN_PROGRESS", "UPDATE_COMPLETE"}})
				if !r.ok {
					t.Fatalf("deploy failed:\n%s", r.output)
				}
				if want := "released build-61 to " + tg.stage + " (" + tg.stack + " is UPDATE_COMPLETE)"; !strings.Contains(r.output, want) {
					t.Errorf("output lacks %q:\n%s", want, r.output)
				}
				if got := param(t, r); got != "build-61" {
					t.Errorf("release parameter %q, want build-61", got)
				}
				checkSessions(t, tg, r, deployPlaces(tg))
				// Every kind of call that must reach the target did, as checked above.
				for _, op := range []string{"cloudformation describe-stacks --stack-name " + tg.stack + " ",
					"cloudformation update-stack --stack-name " + tg.stack + " ",
					"ssm put-parameter --name /golden-pipelines/shipping/" + tg.stage + "/release ",
					"s3api head-object --bucket " + stagedPackages + " --key " + key} {
					if len(r.called(op)) == 0 {
						t.Errorf("no call %q: %v", op, r.awsCalls)
					}
				}
				gets, puts := r.called("s3api get-object"), r.called("s3api put-object")
				if tg.home() {
					if len(gets)+len(puts)+len(r.called("ssm get-parameter")) != 0 {
						t.Errorf("at home the package was copied: %v", r.awsCalls)
					}
					return
				}
				if len(r.called("ssm get-parameter --name /golden-pipelines/package-bucket --query Parameter.Value --output text")) != 1 {
					t.Errorf("the target's package bucket was not read once from its parameter: %v", r.awsCalls)
				}
				if len(r.called("s3api head-object --bucket "+tg.bucket()+" --key "+key)) != 1 {
					t.Errorf("the step did not look for the package in the target's bucket once: %v", r.awsCalls)
				}
				if len(gets) != 1 || !strings.HasPrefix(gets[0], "s3api get-object --bucket "+stagedPackages+" --key "+key+" ") {
					t.Errorf("want the package read once from the home bucket, got %v", gets)
				}
				sum := sha256.Sum256([]byte("package build-61"))
				want := "s3api put-object --bucket " + tg.bucket() + " --key " + key + " --body "
				if len(puts) != 1 || !strings.HasPrefix(puts[0], want) ||
					!strings.HasSuffix(puts[0], " --if-none-match * --metadata build-tag=build-61,code-sha256="+base64.StdEncoding.EncodeToString(sum[:])) {
					t.Errorf("want one conditional copy into %s with the package's CodeSha256, got %v", tg.bucket(), puts)
				}
				copied, err := os.ReadFile(filepath.Join(r.state, "buckets", tg.bucket(), key))
				if err != nil || string(copied) != "package build-61" {
					t.Errorf("the target's bucket holds %q (%v), want the home package", copied, err)
				}
				order := strings.Join(r.awsCalls, "\n")
				if strings.Index(order, "s3api put-object") > strings.Index(order, "ssm put-parameter") {
					t.Error("the release parameter named the build before its package was in the target's bucket")
				}
				if !strings.Contains(r.output, "copied "+key+" to s3://"+tg.bucket()+" in "+tg.region) {
					t.Errorf("output does not say where the package was copied:\n%s", r.output)
				}
			})
			if !tg.home() {
				t.Run("package already in the target", func(t *testing.T) {
					r := stagedDeployRun(t, tg, "build-61", stagedDeploy{copied: "copied by an earlier run"})
					if !r.ok {
						t.Fatalf("deploy failed:\n%s", r.output)
					}
					checkSessions(t, tg, r, deployPlaces(tg))
					if n := len(r.called("s3api get-object")) + len(r.called("s3api put-object")); n != 0 {
						t.Errorf("the package was copied again: %v", r.awsCalls)
					}
					if len(r.called("s3api head-object --bucket "+tg.bucket()+" --key "+key)) != 1 {
						t.Errorf("the step did not find the package in the target's bucket: %v", r.awsCalls)
					}
					if b, _ := os.ReadFile(filepath.Join(r.state, "buckets", tg.bucket(), key)); string(b) != "copied by an earlier run" {
						t.Errorf("the copy in the target was replaced: %q", b)
					}
					if got := param(t, r); got != "build-61" {
						t.Errorf("release parameter %q, want build-61", got)
					}
				})
			}
			// A timed-out update is cancelled in the target, its failure events read there, and
			// the parameter restored there.
			t.Run("timeout and rollback", func(t *testing.T) {
				r := stagedDeployRun(t, tg, "build-61", stagedDeploy{env: map[string]string{"TIMEOUT_MINUTES": "0"},
					statuses: []string{"UPDATE_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE"}})
				if r.ok {
					t.Fatalf("a rolled back release passed:\n%s", r.output)
				}
				checkSessions(t, tg, r, deployPlaces(tg))
				if len(r.called("cloudformation cancel-update-stack --stack-name "+tg.stack)) != 1 ||
					len(r.called("cloudformation describe-stack-events --stack-name "+tg.stack)) != 1 {
					t.Errorf("want one cancel and one read of the events: %v", r.awsCalls)
				}
				if got := param(t, r); got != "build-previous" {
					t.Errorf("release parameter %q after a rollback, want build-previous", got)
				}
			})
			// The stack is read in the target; the pipeline's own execution is stopped at home.
			t.Run("stack not deployed", func(t *testing.T) {
				r := stagedDeployRun(t, tg, "build-61", stagedDeploy{missing: true})
				if !r.ok {
					t.Fatalf("the first execution failed:\n%s", r.output)
				}
				checkSessions(t, tg, r, deployPlaces(tg))
				stops := r.called("codepipeline stop-pipeline-execution --pipeline-name shipping --pipeline-execution-id 7e1d2c3b-4a5f-4e6d-9c8b-1a2b3c4d5e6f ")
				if len(stops) != 1 || len(r.called("cloudformation describe-stacks --stack-name "+tg.stack+" ")) == 0 {
					t.Errorf("want the stack looked for and the execution stopped once: %v", r.awsCalls)
				}
				if !strings.Contains(r.output, tg.stack+" is not deployed yet: run cdk deploy "+tg.stack) {
					t.Errorf("output does not say what to do:\n%s", r.output)
				}
				if n := len(r.called("ssm put-parameter")) + len(r.called("s3api put-object")) + len(r.called("cloudformation update-stack")); n != 0 {
					t.Errorf("a step for a stack that does not exist changed something: %v", r.awsCalls)
				}
			})
			if tg.home() {
				return
			}
			// A target that does not trust the pipeline's account: the step fails, names the
			// fix, and neither reads nor writes anything there.
			t.Run("assume-role denied", func(t *testing.T) {
				r := stagedDeployRun(t, tg, "build-61", stagedDeploy{env: map[string]string{"DENY_ASSUME": "1"}})
				if r.ok {
					t.Fatalf("the step passed without reaching the target:\n%s", r.output)
				}
				for _, want := range []string{"could not assume " + tg.roleARN() + ": bootstrap the target with cdk bootstrap --trust <pipeline account>",
					"nothing was released"} {
					if !strings.Contains(r.output, want) {
						t.Errorf("output lacks %q:\n%s", want, r.output)
					}
				}
				if len(r.awsCalls) != 1 || !strings.HasPrefix(r.awsCalls[0], "sts assume-role --role-arn "+tg.roleARN()+" ") {
					t.Errorf("want the one refused assume-role and nothing else, got %v", r.awsCalls)
				}
				if got := param(t, r); got != "build-previous" {
					t.Errorf("release parameter %q, want build-previous", got)
				}
				if _, err := os.Stat(filepath.Join(r.state, "buckets")); err == nil {
					t.Error("something was copied to a target bucket")
				}
			})
		})
	}
}

// The no-revert guarantee, target by target: the release parameter the deploy step writes,
// in the account and region it writes it, is the one the target's stack resolves (its
// Release parameter's default, of type AWS::SSM::Parameter::Value<String>), and the package
// it copies is where the resolved code reads it (key and bucket). So a later cdk deploy of
// any target's stack resolves the release the pipeline last wrote for it, never a build its
// template names.
func TestNoRevertEachTargetResolvesWhatItsDeployStepWrites(t *testing.T) {
	manifest := stagedManifest(t)
	const release = "build-62"
	for _, tg := range shippingTargets {
		t.Run(tg.project, func(t *testing.T) {
			tpl := staged.templates[tg.stackID]
			if strings.Contains(string(staged.raw[tg.stackID]), "build-") {
				t.Errorf("%s: the template names a build; a deploy of it could put that build back", tg.stackID)
			}
			p := tpl["Parameters"].(map[string]interface{})[lambdaservice.ReleaseParameterID].(map[string]interface{})
			name := "/golden-pipelines/shipping/" + tg.stage + "/release"
			env := projectEnv(t, staged, "shipping-pipeline", tg.project, nil)
			if p["Type"] != "AWS::SSM::Parameter::Value<String>" || p["Default"] != name || env["RELEASE_PARAMETER"] != name {
				t.Errorf("%s resolves %v (%v); the step writes %q; want %s", tg.stackID, p["Default"], p["Type"], env["RELEASE_PARAMETER"], name)
			}
			r := stagedDeployRun(t, tg, release, stagedDeploy{})
			if !r.ok {
				t.Fatalf("deploy failed:\n%s", r.output)
			}
			// Where the stack lives (cdk deploy puts it there) is where the step writes.
			a := manifest[tg.stackID]
			account, region := strings.TrimPrefix(a.Environment, "aws://"), ""
			account, region, _ = strings.Cut(account, "/")
			writes := 0
			for _, c := range r.sessions {
				if !strings.HasPrefix(c.args, "ssm put-parameter") {
					continue
				}
				writes++
				if c.args != "ssm put-parameter --name "+name+" --type String --overwrite --value "+release {
					t.Errorf("the step wrote %q, want %s=%s", c.args, name, release)
				}
				in := stagedHomeAccount
				if c.key != "" {
					in = strings.TrimPrefix(c.key, "AKIA")
				}
				if in != account || c.region != region {
					t.Errorf("the parameter was written in %s/%s, the stack %s resolves it in %s/%s", in, c.region, tg.stackID, account, region)
				}
			}
			if writes != 2 {
				t.Errorf("want the parameter written twice (release, settle), got %d: %v", writes, r.awsCalls)
			}
			if got := r.called("cloudformation update-stack"); len(got) != 1 || !strings.HasPrefix(got[0], "cloudformation update-stack --stack-name "+orDefault(a.Properties.StackName, tg.stackID)+" ") {
				t.Errorf("the step updated %v, not the stack %s", got, tg.stackID)
			}
			// The code the stack resolves for the release is the package the step put there.
			fn := props(tpl["Resources"].(map[string]interface{})[functionID(t, staged, tg.stackID, tg.stack)].(map[string]interface{}))
			code, ok := eval(t, tpl, map[string]string{lambdaservice.ReleaseParameterID: release}, fn["Code"]).(map[string]interface{})
			key := "shipping/" + release + ".zip"
			if !ok || code["S3Key"] != key {
				t.Fatalf("%s: with %s the code is %v, want S3Key %s", tg.stackID, release, code, key)
			}
			out, _ := code["S3Bucket"].(map[string]interface{})["Fn::GetStackOutput"].(map[string]interface{})
			// The stack and output the bucket comes from, and the bucket's Ref there.
			from, bucketRef := "shipping-pipeline", map[string]interface{}{"Ref": "PipelinePackages6D702CC3"}
			if !tg.home() {
				from = "golden-pipelines-shared-" + tg.account + "-" + tg.region
				if got := r.called("s3api put-object --bucket " + tg.bucket() + " --key " + key + " "); len(got) != 1 {
					t.Errorf("the step did not copy %s to the target's bucket: %v", key, r.awsCalls)
				}
				// The step copies into the bucket the target's /golden-pipelines/package-bucket
				// names; the shared stack of the target writes that parameter.
				var named interface{}
				for _, res := range staged.resources(t, from, "AWS::SSM::Parameter") {
					if props(res)["Name"] == env["PACKAGE_BUCKET_PARAMETER"] {
						named = props(res)["Value"]
					}
				}
				if env["PACKAGE_BUCKET_PARAMETER"] != "/golden-pipelines/package-bucket" || named == nil {
					t.Fatalf("%s writes no parameter %q", from, env["PACKAGE_BUCKET_PARAMETER"])
				}
				bucketRef = named.(map[string]interface{})
			} else {
				// At home the code is read from the pipeline's bucket, the step's RELEASE_BUCKET.
				var projectBucket interface{}
				for _, res := range staged.resources(t, "shipping-pipeline", "AWS::CodeBuild::Project") {
					if props(res)["Name"] == tg.project {
						for _, v := range props(res)["Environment"].(map[string]interface{})["EnvironmentVariables"].([]interface{}) {
							if v.(map[string]interface{})["Name"] == "RELEASE_BUCKET" {
								projectBucket = v.(map[string]interface{})["Value"]
							}
						}
					}
				}
				if !reflect.DeepEqual(projectBucket, bucketRef) {
					t.Errorf("the step reads the package from %v, the function from %v", projectBucket, bucketRef)
				}
				if len(r.called("s3api head-object --bucket "+stagedPackages+" --key "+key)) != 1 {
					t.Errorf("the step did not check for %s in the pipeline's bucket: %v", key, r.awsCalls)
				}
			}
			fromStack := manifest[from]
			outputs, _ := staged.templates[from]["Outputs"].(map[string]interface{})
			output, _ := outputs[fmt.Sprint(out["OutputName"])].(map[string]interface{})
			if out["StackName"] != orDefault(fromStack.Properties.StackName, from) || out["Region"] != region ||
				fromStack.Environment != a.Environment || output == nil || !reflect.DeepEqual(output["Value"], bucketRef) {
				t.Errorf("%s reads its code from %v; want an output of %s (in %s) that is %v; it is %v", tg.stackID, out, from, fromStack.Environment, bucketRef, output)
			}
		})
	}
}
