package test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const repositoryURI = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/boxed"

func TestContainerBuildPushesTheBuildTagAndRecordsTheDigest(t *testing.T) {
	bs := buildSpec(t, variants, "boxed-pipeline", "boxed-build")
	env := projectEnv(t, variants, "boxed-pipeline", "boxed-build", buildEnv)
	env["REPOSITORY_URI"], env["AWS_REGION"] = repositoryURI, "eu-west-1"
	r := runSpec(t, bs, env, nil)
	if !r.ok {
		t.Fatalf("build failed:\n%s", r.output)
	}
	const tag = "build-0b7e2c4e-5a1d-4c1e-9d1a-3f8f0c6e2b11"
	docker, _ := os.ReadFile(filepath.Join(r.state, "docker"))
	calls := strings.Split(strings.TrimSpace(string(docker)), "\n")
	want := []string{
		"login --username AWS --password-stdin 111111111111.dkr.ecr.eu-west-1.amazonaws.com",
		"build --file ./Dockerfile --tag " + repositoryURI + ":" + tag + " ./.",
		"push " + repositoryURI + ":" + tag,
	}
	if strings.Join(calls, "\n") != strings.Join(want, "\n") {
		t.Errorf("docker calls:\n%s\nwant:\n%s", strings.Join(calls, "\n"), strings.Join(want, "\n"))
	}
	if r.exported["BUILD_TAG"] != tag {
		t.Errorf("exported BUILD_TAG %q", r.exported["BUILD_TAG"])
	}
	sum := sha256.Sum256([]byte(repositoryURI + ":" + tag))
	digest := "sha256:" + hex.EncodeToString(sum[:])
	var detail map[string]string
	b, err := os.ReadFile(filepath.Join(r.work, "imageDetail.json"))
	if err != nil || json.Unmarshal(b, &detail) != nil {
		t.Fatalf("imageDetail.json missing or not JSON: %v %s", err, b)
	}
	if detail["ImageURI"] != repositoryURI+"@"+digest || len(detail) != 1 {
		t.Errorf("imageDetail.json %s, want the image pinned by digest %s", b, digest)
	}
	var release map[string]string
	b, _ = os.ReadFile(filepath.Join(r.work, "release.json"))
	if json.Unmarshal(b, &release) != nil || release["image"] != repositoryURI+"@"+digest || release["release"] != tag {
		t.Errorf("release.json %s", b)
	}
	if len(r.called("ecr describe-images --repository-name boxed --image-ids imageTag="+tag)) != 1 {
		t.Errorf("digest not read from ECR: %v", r.awsCalls)
	}
}

// With the ECR source, the base image pinned by digest is the build argument BASE_IMAGE.
func TestContainerBuildPassesThePinnedBaseImage(t *testing.T) {
	bs := buildSpec(t, variants, "boxed-pipeline", "boxed-build")
	env := projectEnv(t, variants, "boxed-pipeline", "boxed-build", buildEnv)
	env["REPOSITORY_URI"], env["AWS_REGION"] = repositoryURI, "eu-west-1"
	dir := t.TempDir()
	pinned := "111111111111.dkr.ecr.eu-west-1.amazonaws.com/base/alpine@sha256:" + strings.Repeat("b", 64)
	os.WriteFile(filepath.Join(dir, "imageDetail.json"), []byte(`{"ImageURI":"`+pinned+`"}`), 0o644)
	env["CODEBUILD_SRC_DIR_BaseImage"] = dir
	r := runSpec(t, bs, env, nil)
	docker, _ := os.ReadFile(filepath.Join(r.state, "docker"))
	if !r.ok || !strings.Contains(string(docker), "--build-arg BASE_IMAGE="+pinned) {
		t.Errorf("base image not passed (ok=%v):\n%s\n%s", r.ok, docker, r.output)
	}
	os.WriteFile(filepath.Join(dir, "imageDetail.json"), []byte(`{"ImageURI":"base/alpine:release"}`), 0o644)
	r = runSpec(t, bs, env, nil)
	if r.ok || !strings.Contains(r.output, "is not pinned by digest") {
		t.Errorf("a movable base image was accepted:\n%s", r.output)
	}
}

func TestContainerBuildFailures(t *testing.T) {
	for name, c := range map[string]struct {
		env     map[string]string
		message string
	}{
		"failing unit test":    {map[string]string{"FAIL_TESTS": "1"}, "1 test failed"},
		"failing docker build": {map[string]string{"FAIL_DOCKER_BUILD": "1"}, "docker build failed"},
		"failing docker push":  {map[string]string{"FAIL_PUSH": "1"}, "requested access to the resource is denied"},
	} {
		t.Run(name, func(t *testing.T) {
			bs := buildSpec(t, variants, "boxed-pipeline", "boxed-build")
			env := projectEnv(t, variants, "boxed-pipeline", "boxed-build", buildEnv)
			env["REPOSITORY_URI"], env["AWS_REGION"] = repositoryURI, "eu-west-1"
			for k, v := range c.env {
				env[k] = v
			}
			r := runSpec(t, bs, env, nil)
			if r.ok || !strings.Contains(r.output, c.message) {
				t.Errorf("ok=%v, want a failure with %q:\n%s", r.ok, c.message, r.output)
			}
			if _, err := os.Stat(filepath.Join(r.work, "imageDetail.json")); err == nil {
				t.Error("a failed build wrote imageDetail.json")
			}
		})
	}
}

// currentTaskDefinition is what describe-task-definition answers for the CDK task definition.
const currentTaskDefinition = `{
  "taskDefinitionArn": "arn:aws:ecs:eu-west-1:111111111111:task-definition/boxed-production:7",
  "family": "boxed-production", "revision": 7, "status": "ACTIVE",
  "cpu": "256", "memory": "512", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
  "executionRoleArn": "arn:aws:iam::111111111111:role/boxed-exec", "taskRoleArn": "arn:aws:iam::111111111111:role/boxed-task",
  "containerDefinitions": [{"name": "app", "image": "111111111111.dkr.ecr.eu-west-1.amazonaws.com/cdk-assets:placeholder",
    "portMappings": [{"containerPort": 8081, "protocol": "tcp"}], "environment": [{"name": "PORT", "value": "8081"}],
    "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/boxed-production"}}}],
  "requiresAttributes": [{"name": "com.amazonaws.ecs.capability.logging-driver.awslogs"}],
  "compatibilities": ["EC2", "FARGATE"], "registeredAt": "2026-11-24T01:00:00Z", "registeredBy": "arn:aws:sts::111111111111:assumed-role/cfn"
}`

// prepareRun runs the production prepare step; without a task definition ARN, the service
// stack (which writes its parameter) is not deployed.
func prepareRun(t *testing.T, release, image, taskDefinitionArn string, extra ...string) run {
	t.Helper()
	bs := buildSpec(t, variants, "boxed-pipeline", "boxed-prepare-production")
	env := projectEnv(t, variants, "boxed-pipeline", "boxed-prepare-production", map[string]string{
		"RELEASE": release, "REPOSITORY_URI": repositoryURI, "PIPELINE_EXECUTION_ID": "5c0ffee0-1b3e-4c5d-8e7f-6a5b4c3d2e1f",
	})
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	return runSpec(t, bs, env, func(work, state string) {
		os.WriteFile(filepath.Join(work, "imageDetail.json"), []byte(`{"ImageURI":"`+image+`"}`), 0o644)
		os.WriteFile(filepath.Join(state, "current-taskdef.json"), []byte(currentTaskDefinition), 0o644)
		if taskDefinitionArn != "" {
			os.WriteFile(filepath.Join(state, "task-definition-arn"), []byte(taskDefinitionArn+"\n"), 0o644)
		}
	})
}

const taskDefinitionArn = "arn:aws:ecs:eu-west-1:111111111111:task-definition/boxed-production:7"

// The prepare step renders taskdef.json from the CDK task definition with the image
// placeholder, writes the appspec with the environment's hooks, and tags the released image.
func TestPrepareRendersTaskDefinitionAndAppSpec(t *testing.T) {
	image := repositoryURI + "@sha256:" + strings.Repeat("a", 64)
	r := prepareRun(t, "build-7", image, taskDefinitionArn)
	if !r.ok {
		t.Fatalf("prepare failed:\n%s", r.output)
	}
	if got := r.called("ecs describe-task-definition"); len(got) != 1 || !strings.Contains(got[0], "--task-definition "+taskDefinitionArn) {
		t.Errorf("did not read the task definition the parameter names: %v", got)
	}
	var td map[string]interface{}
	b, _ := os.ReadFile(filepath.Join(r.work, "taskdef.json"))
	if err := json.Unmarshal(b, &td); err != nil {
		t.Fatalf("taskdef.json is not JSON: %v\n%s", err, b)
	}
	for _, readOnly := range []string{"taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities", "registeredAt", "registeredBy"} {
		if _, ok := td[readOnly]; ok {
			t.Errorf("taskdef.json keeps the read-only %s (RegisterTaskDefinition rejects it)", readOnly)
		}
	}
	c := td["containerDefinitions"].([]interface{})[0].(map[string]interface{})
	if c["image"] != "<IMAGE1_NAME>" || td["memory"] != "512" || td["executionRoleArn"] == nil || c["logConfiguration"] == nil {
		t.Errorf("taskdef.json does not carry the CDK settings with the placeholder: %s", b)
	}
	var appspec struct {
		Version   string `yaml:"version"`
		Resources []map[string]struct {
			Type       string `yaml:"Type"`
			Properties struct {
				TaskDefinition   string `yaml:"TaskDefinition"`
				LoadBalancerInfo struct {
					ContainerName string `yaml:"ContainerName"`
					ContainerPort int    `yaml:"ContainerPort"`
				} `yaml:"LoadBalancerInfo"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
		Hooks []map[string]string `yaml:"Hooks"`
	}
	b, _ = os.ReadFile(filepath.Join(r.work, "appspec.yaml"))
	if err := yaml.Unmarshal(b, &appspec); err != nil {
		t.Fatalf("appspec.yaml is not YAML: %v\n%s", err, b)
	}
	ts := appspec.Resources[0]["TargetService"]
	if appspec.Version != "0.0" || ts.Type != "AWS::ECS::Service" || ts.Properties.TaskDefinition != "<TASK_DEFINITION>" ||
		ts.Properties.LoadBalancerInfo.ContainerName != "app" || ts.Properties.LoadBalancerInfo.ContainerPort != 8081 {
		t.Errorf("appspec.yaml:\n%s", b)
	}
	if got := jsonString(t, appspec.Hooks); got != `[{"BeforeInstall":"CodeDeployHook_boxed_pre"},{"AfterAllowTraffic":"CodeDeployHook_boxed_post"}]` {
		t.Errorf("appspec hooks %s", got)
	}
	detail, _ := os.ReadFile(filepath.Join(r.work, "imageDetail.json"))
	if !strings.Contains(string(detail), image) {
		t.Errorf("imageDetail.json %s", detail)
	}
	if len(r.called("ecr put-image")) != 0 {
		t.Errorf("prepare tagged the image before the deployment succeeded: %v", r.awsCalls)
	}
}

func recordRun(t *testing.T, image string, tags ...string) run {
	t.Helper()
	return recordRunWith(t, nil, image, tags...)
}

func recordRunWith(t *testing.T, extra map[string]string, image string, tags ...string) run {
	t.Helper()
	bs := buildSpec(t, variants, "boxed-pipeline", "boxed-record-production")
	env := projectEnv(t, variants, "boxed-pipeline", "boxed-record-production", map[string]string{
		"RELEASE": "build-7", "REPOSITORY_URI": repositoryURI,
	})
	for k, v := range extra {
		env[k] = v
	}
	return runSpec(t, bs, env, func(work, state string) {
		os.WriteFile(filepath.Join(work, "imageDetail.json"), []byte(`{"ImageURI":"`+image+`"}`), 0o644)
		if len(tags) > 0 {
			os.WriteFile(filepath.Join(state, "tags"), []byte(strings.Join(tags, "\n")+"\n"), 0o644)
		}
	})
}

// The first execution, started when the pipeline is created, finds no service stack: the
// prepare step stops it (Stopped, no failure) before CodeDeploy is asked for anything.
func TestPrepareStopsTheExecutionWhenTheStackIsNotDeployed(t *testing.T) {
	image := repositoryURI + "@sha256:" + strings.Repeat("a", 64)
	r := prepareRun(t, "build-7", image, "")
	if !r.ok {
		t.Fatalf("the first execution failed:\n%s", r.output)
	}
	stops := r.called("codepipeline stop-pipeline-execution")
	if len(stops) != 1 || !strings.Contains(stops[0], "--pipeline-name boxed --pipeline-execution-id 5c0ffee0-1b3e-4c5d-8e7f-6a5b4c3d2e1f") {
		t.Errorf("want its own execution stopped, got %v", stops)
	}
	if !strings.Contains(r.output, "boxed-production is not deployed yet: run cdk deploy boxed-production") {
		t.Errorf("output does not say what to do:\n%s", r.output)
	}
	if _, err := os.Stat(filepath.Join(r.work, "taskdef.json")); err == nil || len(r.called("ecs ")) != 0 {
		t.Error("the step went on as if the stack existed")
	}
	if failed := prepareRun(t, "build-7", image, "", "FAIL_STOP", "1"); failed.ok {
		t.Errorf("the step passed although it could not stop the execution (CodeDeploy would run next):\n%s", failed.output)
	}
}

// After a successful deployment the released image gets its deployed-<environment>-<release>
// tag (what the lifecycle policy keeps); a re-run finds the tag there and goes on.
func TestRecordReleaseTagsTheDeployedImage(t *testing.T) {
	image := repositoryURI + "@sha256:" + strings.Repeat("a", 64)
	r := recordRun(t, image)
	if !r.ok || len(r.called("ecr put-image --repository-name boxed --image-tag deployed-production-build-7")) != 1 {
		t.Fatalf("released image not tagged (ok=%v): %v\n%s", r.ok, r.awsCalls, r.output)
	}
	if got := r.called("ecr batch-get-image"); len(got) != 1 || !strings.Contains(got[0], "imageDigest=sha256:"+strings.Repeat("a", 64)) {
		t.Errorf("manifest not read by digest: %v", got)
	}
	if again := recordRun(t, image, "deployed-production-build-7"); !again.ok {
		t.Errorf("a re-run failed on the existing tag:\n%s", again.output)
	}
	if bad := recordRun(t, repositoryURI+":latest"); bad.ok {
		t.Error("a movable image was recorded")
	}
}

// An image the environment runs without its deployed-<environment>-<release> tag is only a
// build image to the lifecycle policy, which expires it after keepImages newer builds: the
// record step must fail, not pass, when ECR does not take the tag.
func TestRecordReleaseFailsWhenTheTagIsNotWritten(t *testing.T) {
	image := repositoryURI + "@sha256:" + strings.Repeat("a", 64)
	for name, env := range map[string]map[string]string{
		"put-image denied":      {"FAIL_PUT_IMAGE": "1"},
		"manifest not readable": {"FAIL_BATCH_GET": "1"},
	} {
		t.Run(name, func(t *testing.T) {
			r := recordRunWith(t, env, image)
			if r.ok || !strings.Contains(r.output, "AccessDeniedException") {
				t.Errorf("ok=%v, want a failure naming ECR's error:\n%s", r.ok, r.output)
			}
		})
	}
}

func TestPrepareRefusesMovableImages(t *testing.T) {
	for name, c := range map[string]struct{ release, image, message string }{
		"tag instead of digest": {"build-8", repositoryURI + ":latest", "not this service's image pinned by digest"},
		"another repository":    {"build-8", "111111111111.dkr.ecr.eu-west-1.amazonaws.com/other@sha256:" + strings.Repeat("a", 64), "not this service's image"},
		"movable release":       {"latest", repositoryURI + "@sha256:" + strings.Repeat("a", 64), "only immutable build-<id> tags"},
	} {
		t.Run(name, func(t *testing.T) {
			r := prepareRun(t, c.release, c.image, taskDefinitionArn)
			if r.ok || !strings.Contains(r.output, c.message) {
				t.Errorf("ok=%v, want a refusal with %q:\n%s", r.ok, c.message, r.output)
			}
			if _, err := os.Stat(filepath.Join(r.work, "taskdef.json")); err == nil {
				t.Error("a refused release rendered taskdef.json")
			}
		})
	}
}

// stagedPrepareRun runs the prepare project of a tracking target against the stand-in AWS;
// without deployed, the target's service stack (which writes the task definition parameter) is
// not deployed. more (if any) prepares more of the run.
func stagedPrepareRun(t *testing.T, tg stagedTarget, deployed bool, extra map[string]string, more ...func(work, state string)) run {
	t.Helper()
	const repository = stagedHomeAccount + ".dkr.ecr." + stagedHomeRegion + ".amazonaws.com/tracking"
	bs := buildSpec(t, staged, "tracking-pipeline", tg.project)
	env := projectEnv(t, staged, "tracking-pipeline", tg.project, map[string]string{
		"RELEASE": "build-63", "REPOSITORY_URI": repository, "PIPELINE_EXECUTION_ID": "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a",
		"AWS_REGION": stagedHomeRegion, "AWS_DEFAULT_REGION": stagedHomeRegion,
	})
	for k, v := range extra {
		env[k] = v
	}
	return runSpec(t, bs, env, func(work, state string) {
		os.WriteFile(filepath.Join(work, "imageDetail.json"), []byte(`{"ImageURI":"`+repository+"@sha256:"+strings.Repeat("c", 64)+`"}`), 0o644)
		os.WriteFile(filepath.Join(state, "current-taskdef.json"), []byte(currentTaskDefinition), 0o644)
		if deployed {
			os.WriteFile(filepath.Join(state, "task-definition-arn"), []byte(stagedTaskDefinition(tg)+"\n"), 0o644)
		}
		for _, f := range more {
			f(work, state)
		}
	})
}

// stagedTaskDefinition is the task definition the target's parameter names.
func stagedTaskDefinition(tg stagedTarget) string {
	return "arn:aws:ecs:" + tg.region + ":" + tg.account + ":task-definition/" + tg.stack + ":3"
}

// preparePlaces: the prepare step reads the target's parameters and task definition in the
// target, and only assumes the role and stops its own execution at home.
func preparePlaces(tg stagedTarget) where {
	return placesOf([]string{
		"sts assume-role",
		"codepipeline stop-pipeline-execution --pipeline-name tracking",
	}, []string{
		"ssm get-parameter --name /golden-pipelines/tracking/" + tg.stage + "/task-definition",
		"ssm get-parameter --name /golden-pipelines/tracking/" + tg.stage + "/url",
		"ecs describe-task-definition --task-definition " + stagedTaskDefinition(tg),
	})
}

// The prepare step of every tracking target reads the target's task definition parameter,
// task definition and URL parameter as the target's bootstrap deploy role in the target's
// region, assuming it once; a target that does not trust the pipeline's account fails the
// step with the fix, before anything is rendered.
func TestStagedPrepareReachesEachTargetThroughItsDeployRole(t *testing.T) {
	for _, tg := range trackingTargets {
		t.Run(tg.project, func(t *testing.T) {
			t.Run("prepare", func(t *testing.T) {
				r := stagedPrepareRun(t, tg, true, nil)
				if !r.ok {
					t.Fatalf("prepare failed:\n%s", r.output)
				}
				checkSessions(t, tg, r, preparePlaces(tg))
				for _, want := range []string{
					"ssm get-parameter --name /golden-pipelines/tracking/" + tg.stage + "/task-definition --query Parameter.Value --output text",
					"ecs describe-task-definition --task-definition " + stagedTaskDefinition(tg) + " --query taskDefinition --output json",
					"ssm get-parameter --name /golden-pipelines/tracking/" + tg.stage + "/url --query Parameter.Value --output text",
				} {
					if got := r.called(want); len(got) != 1 || got[0] != want {
						t.Errorf("want the call %q once, got %v", want, r.awsCalls)
					}
				}
				if len(r.awsCalls) != 4 {
					t.Errorf("want the assume-role and the three reads, got %v", r.awsCalls)
				}
				url := "http://" + tg.stage + ".example.com"
				if b, _ := os.ReadFile(filepath.Join(r.work, "service-url")); strings.TrimSpace(string(b)) != url || r.exported["SERVICE_URL"] != url {
					t.Errorf("service-url %q, exported SERVICE_URL %q, want %s", b, r.exported["SERVICE_URL"], url)
				}
				if b, _ := os.ReadFile(filepath.Join(r.work, "taskdef.json")); !strings.Contains(string(b), `"image": "<IMAGE1_NAME>"`) {
					t.Errorf("taskdef.json not rendered from the target's task definition:\n%s", b)
				}
			})
			t.Run("stack not deployed", func(t *testing.T) {
				r := stagedPrepareRun(t, tg, false, nil)
				if !r.ok {
					t.Fatalf("the first execution failed:\n%s", r.output)
				}
				checkSessions(t, tg, r, preparePlaces(tg))
				if got := r.called("codepipeline stop-pipeline-execution --pipeline-name tracking --pipeline-execution-id 9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a "); len(got) != 1 {
					t.Errorf("want its own execution stopped once, got %v", r.awsCalls)
				}
				if !strings.Contains(r.output, tg.stack+" is not deployed yet: run cdk deploy "+tg.stack) {
					t.Errorf("output does not say what to do:\n%s", r.output)
				}
				if len(r.called("ecs ")) != 0 {
					t.Errorf("the step went on as if the stack existed: %v", r.awsCalls)
				}
			})
			t.Run("assume-role denied", func(t *testing.T) {
				r := stagedPrepareRun(t, tg, true, map[string]string{"DENY_ASSUME": "1"})
				if r.ok {
					t.Fatalf("the step passed without reaching the target:\n%s", r.output)
				}
				if want := "could not assume " + tg.roleARN() + ": bootstrap the target with cdk bootstrap --trust <pipeline account>"; !strings.Contains(r.output, want) {
					t.Errorf("output lacks %q:\n%s", want, r.output)
				}
				if len(r.awsCalls) != 1 || !strings.HasPrefix(r.awsCalls[0], "sts assume-role --role-arn "+tg.roleARN()+" ") {
					t.Errorf("want the one refused assume-role and nothing else, got %v", r.awsCalls)
				}
				for _, f := range []string{"taskdef.json", "appspec.yaml", "service-url"} {
					if _, err := os.Stat(filepath.Join(r.work, f)); err == nil {
						t.Errorf("a step that could not reach the target wrote %s", f)
					}
				}
			})
		})
	}
}

// A role assumed with CodeBuild's own credentials is a chained session, which lasts at most an
// hour: the step renews it 45 minutes after assuming it, and every call in the target runs
// with credentials no older than that. Here the clock moves 30 minutes at each of taws's
// readings: the task definition parameter is read at 0, the task definition at 30 minutes
// (the same credentials), the URL parameter at 60 (new ones).
func TestTargetSessionRenewsTheRoleAfter45Minutes(t *testing.T) {
	tg := trackingTargets[2]
	const clock = `#!/usr/bin/env bash
[ "$*" = +%s ] || exec /bin/date "$@"
n=$(cat "$AWS_STATE/clock" 2>/dev/null || echo 0); echo $((n + 1)) > "$AWS_STATE/clock"
echo $((1767225600 + n * 30 * 60))
`
	r := stagedPrepareRun(t, tg, true, nil, func(work, state string) {
		// runSpec puts its stand-ins in bin, next to the AWS state.
		os.WriteFile(filepath.Join(filepath.Dir(state), "bin", "date"), []byte(clock), 0o755)
	})
	if !r.ok {
		t.Fatalf("prepare failed:\n%s", r.output)
	}
	if n := len(r.called("sts assume-role --role-arn " + tg.roleARN() + " ")); n != 2 {
		t.Errorf("assumed the role %d times, want 2 (at 0 and at 60 minutes): %v", n, r.awsCalls)
	}
	name := "cdk-hnb659fds-deploy-role-" + tg.account + "-" + tg.region
	want := map[string]string{
		"ssm get-parameter --name /golden-pipelines/tracking/production/task-definition": "token-1-for-" + name,
		"ecs describe-task-definition":                                       "token-1-for-" + name,
		"ssm get-parameter --name /golden-pipelines/tracking/production/url": "token-2-for-" + name,
	}
	seen := 0
	for _, c := range r.sessions {
		for prefix, token := range want {
			if !strings.HasPrefix(c.args, prefix+" ") {
				continue
			}
			seen++
			if c.token != token || c.key != "AKIA"+tg.account || c.region != tg.region {
				t.Errorf("%s, want the session token %s", c, token)
			}
		}
	}
	if seen != len(want) {
		t.Errorf("want each of the three reads once, got %v", r.awsCalls)
	}
}
