package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/stacks"
)

const platformStack = "golden-pipelines-platform"

// platformStages are the platform pipeline's stages in order.
func platformStages(t *testing.T) []map[string]interface{} {
	t.Helper()
	var out []map[string]interface{}
	for _, r := range staged.resources(t, platformStack, "AWS::CodePipeline::Pipeline") {
		for _, s := range props(r)["Stages"].([]interface{}) {
			out = append(out, s.(map[string]interface{}))
		}
	}
	return out
}

// stacksOf is the STACKS a platform project deploys (or assesses), one per line.
func stacksOf(t *testing.T, project string) []string {
	t.Helper()
	env := projectEnv(t, staged, platformStack, project, nil)
	if env["STACKS"] == "" {
		t.Fatalf("%s has no STACKS: %v", project, env)
	}
	return strings.Split(env["STACKS"], "\n")
}

// The platform pipeline releases the repository: it assesses the change, asks a person only
// when the assessment says so, updates itself before anything else (RestartExecutionOnUpdate:
// an update cancels the running execution and CloudFormation starts one on the new
// definition, as CDK Pipelines' self-mutation; superseded mode, so no queued execution is
// cancelled by another's update), then deploys the shared stacks and the services' pipelines
// in waves, the canary service first. It never
// deploys a service stack (those are released by their own pipelines: no reverts).
func TestPlatformPipelineUpdatesItselfThenDeploysInWaves(t *testing.T) {
	var names []string
	for _, s := range platformStages(t) {
		names = append(names, s["Name"].(string))
	}
	if want := []string{"Source", "Synth", "Assess", "Approve", "UpdatePipeline", "Deploy-shared", "Deploy-canary", "Deploy-rest"}; !slices.Equal(names, want) {
		t.Fatalf("platform stages %v, want %v", names, want)
	}
	assert(t, "platform pipeline", func() {
		staged.template(t, platformStack).HasResourceProperties(jsii.String("AWS::CodePipeline::Pipeline"), &m{
			"Name": "golden-pipelines-platform", "PipelineType": "V2", "RestartExecutionOnUpdate": true, "ExecutionMode": "SUPERSEDED",
			"Triggers": a{m{"ProviderType": "CodeStarSourceConnection", "GitConfiguration": m{
				"SourceActionName": "Source", "Push": a{m{"Branches": m{"Includes": a{"main"}}}},
			}}},
		})
	})
	if got := stacksOf(t, "golden-pipelines-platform-updatepipeline"); !slices.Equal(got, []string{platformStack}) {
		t.Errorf("UpdatePipeline deploys %v, want only the platform stack", got)
	}
	shared := stacksOf(t, "golden-pipelines-platform-deploy-shared")
	canary := stacksOf(t, "golden-pipelines-platform-deploy-canary")
	rest := stacksOf(t, "golden-pipelines-platform-deploy-rest")
	for _, s := range shared {
		if !strings.HasPrefix(s, "golden-pipelines-shared") {
			t.Errorf("Deploy-shared deploys %s", s)
		}
	}
	if len(shared) < 3 {
		t.Errorf("Deploy-shared deploys %v, want every account and region's shared stack", shared)
	}
	if canary[0] != "tracking-pipeline" || !slices.ContainsFunc(canary, func(s string) bool { return strings.HasPrefix(s, "tracking-support-") }) {
		t.Errorf("Deploy-canary deploys %v, want tracking's pipeline and support stacks", canary)
	}
	if rest[0] != "shipping-pipeline" || slices.Contains(rest, "tracking-pipeline") {
		t.Errorf("Deploy-rest deploys %v", rest)
	}
	// Every stack of the app is deployed by exactly one stage, or is a service stack.
	deployed := append(append(append([]string{platformStack}, shared...), canary...), rest...)
	for name := range staged.templates {
		service := false
		for _, s := range staged.services {
			for i := range s.Spec.Stages {
				for _, tg := range s.Spec.Stages[i].AllTargets() {
					service = service || name == s.Spec.TargetStackID(&s.Spec.Stages[i], tg)
				}
			}
		}
		if n := countOf(deployed, name); (service && n != 0) || (!service && n != 1) {
			t.Errorf("%s is deployed %d times by the platform pipeline (service stack: %v)", name, n, service)
		}
	}
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// The approval is skipped unless the assessment asks for it: the stage's entry condition holds
// (and the stage starts) when NEEDS_APPROVAL is "true", and SKIP is its result otherwise
// ("For Entry conditions that use the Skip result, only the LambdaInvoke and VariableCheck
// rules are supported", CodePipeline User Guide, "Configure conditions for a stage"). The
// Assess step exports the variable (namespace Assess).
func TestPlatformApprovalOnlyWhenTheAssessmentAsks(t *testing.T) {
	stages := platformStages(t)
	approve := stages[3]
	if got := mustJSON(t, approve["BeforeEntry"]); got != `{"Conditions":[{"Result":"SKIP","Rules":[{"Configuration":{"Operator":"EQ","Value":"true","Variable":"#{Assess.NEEDS_APPROVAL}"},"Name":"NeedsApproval","RuleTypeId":{"Category":"Rule","Owner":"AWS","Provider":"VariableCheck","Version":"1"}}]}]}` {
		t.Errorf("approval entry condition %s", got)
	}
	assess := stages[2]["Actions"].([]interface{})[0].(map[string]interface{})
	if assess["Namespace"] != "Assess" {
		t.Errorf("Assess action namespace %v", assess["Namespace"])
	}
	env := projectEnv(t, staged, platformStack, "golden-pipelines-platform-assess", nil)
	if env["APPROVAL_ABOVE"] != "1" || env["PIPELINE_STACKS"] != "tracking-pipeline\nshipping-pipeline" || !strings.HasPrefix(env["STACKS"], platformStack+"\n") {
		t.Errorf("assess environment %v", env)
	}
	// The steps that run the CLI may assume only the CDK bootstrap roles, by their tag: the
	// deploy steps deploy and publish, the assessment and the pull-request check only read
	// templates (the lookup role: `cdk diff --method template`).
	roles := map[string]string{}
	for _, r := range staged.resources(t, platformStack, "AWS::IAM::Policy") {
		doc := props(r)["PolicyDocument"].(map[string]interface{})
		for _, st := range doc["Statement"].([]interface{}) {
			if st.(map[string]interface{})["Sid"] == "UseTheCdkBootstrapRoles" {
				role := mustJSON(t, props(r)["Roles"])
				roles[role] = mustJSON(t, st.(map[string]interface{})["Condition"])
			}
		}
	}
	lookupOnly := `{"ForAnyValue:StringEquals":{"iam:ResourceTag/aws-cdk:bootstrap-role":["lookup"]}}`
	deploys := `{"ForAnyValue:StringEquals":{"iam:ResourceTag/aws-cdk:bootstrap-role":["deploy","file-publishing","image-publishing","lookup"]}}`
	counts := map[string]int{}
	for role, cond := range roles {
		switch {
		case cond == lookupOnly && (strings.Contains(role, "Assess") || strings.Contains(role, "PullRequests")):
			counts["lookup"]++
		case cond == deploys && (strings.Contains(role, "Deploy") || strings.Contains(role, "UpdatePipeline")):
			counts["deploy"]++
		default:
			t.Errorf("role %s may assume %s", role, cond)
		}
	}
	if counts["lookup"] != 2 || counts["deploy"] != 4 {
		t.Errorf("bootstrap role grants %v, want 2 lookup-only (Assess, PullRequests) and 4 deploying", counts)
	}
}

// fakeCDK plays the CDK CLI: it records its arguments; `diff --fail-on broadening` exits 1
// when the file broadening exists, `diff --fail <stack>` when <stack> is listed in changed.
const fakeCDK = `#!/usr/bin/env bash
state="$AWS_STATE"
echo "$*" >> "$state/cdk"
case "$*" in
  *"diff --method template --fail-on broadening"*) [ -e "$state/broadening" ] && exit 1; exit 0 ;;
  *"diff --method template --fail "*) stack="${!#}"; grep -qx "$stack" "$state/changed" 2>/dev/null && exit 1; exit 0 ;;
esac
exit 0
`

// fakeNPM records its arguments (the CLI install).
const fakeNPM = `#!/usr/bin/env bash
echo "$*" >> "$AWS_STATE/npm"
`

func runPlatformStep(t *testing.T, project string, broadening bool, changed ...string) run {
	t.Helper()
	bs := buildSpec(t, staged, platformStack, project)
	env := projectEnv(t, staged, platformStack, project, nil)
	return runSpec(t, bs, env, func(work, state string) {
		bin := filepath.Join(filepath.Dir(state), "bin")
		os.WriteFile(filepath.Join(bin, "cdk"), []byte(fakeCDK), 0o755)
		os.WriteFile(filepath.Join(bin, "npm"), []byte(fakeNPM), 0o755)
		if broadening {
			os.WriteFile(filepath.Join(state, "broadening"), nil, 0o644)
		}
		os.WriteFile(filepath.Join(state, "changed"), []byte(strings.Join(changed, "\n")+"\n"), 0o644)
	})
}

// The assessment under a stand-in CLI: widened permissions, or more changed pipeline stacks
// than APPROVAL_ABOVE (1 here), ask for an approval; otherwise none. Exported for the
// approval's condition.
func TestPlatformAssessment(t *testing.T) {
	for _, c := range []struct {
		name       string
		broadening bool
		changed    []string
		want       string
	}{
		{"nothing widened, one pipeline changed", false, []string{"shipping-pipeline"}, "NEEDS_APPROVAL=false\nBROADENING=false\nCHANGED_STACKS=1\n"},
		{"permissions widened", true, nil, "NEEDS_APPROVAL=true\nBROADENING=true\nCHANGED_STACKS=0\n"},
		{"two pipelines changed", false, []string{"shipping-pipeline", "tracking-pipeline"}, "NEEDS_APPROVAL=true\nBROADENING=false\nCHANGED_STACKS=2\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runPlatformStep(t, "golden-pipelines-platform-assess", c.broadening, c.changed...)
			if !r.ok {
				t.Fatalf("assess failed:\n%s", r.output)
			}
			exported, _ := os.ReadFile(filepath.Join(r.state, "exported"))
			if string(exported) != c.want {
				t.Errorf("exported:\n%s\nwant:\n%s", exported, c.want)
			}
			npm, _ := os.ReadFile(filepath.Join(r.state, "npm"))
			if string(npm) != "install --global aws-cdk@"+stacks.CDKCLIVersion+"\n" {
				t.Errorf("npm %q: the pinned CLI is not what the step installs", npm)
			}
		})
	}
}

// A deploy step deploys exactly its stacks, each only (--exclusively), without prompting.
func TestPlatformDeployStep(t *testing.T) {
	r := runPlatformStep(t, "golden-pipelines-platform-deploy-canary", false)
	if !r.ok {
		t.Fatalf("deploy failed:\n%s", r.output)
	}
	calls, _ := os.ReadFile(filepath.Join(r.state, "cdk"))
	want := "--app . deploy --exclusively --require-approval never --concurrency 4 " + strings.Join(stacksOf(t, "golden-pipelines-platform-deploy-canary"), " ") + "\n"
	if string(calls) != want {
		t.Errorf("cdk calls %q, want %q", calls, want)
	}
}

// The CLI the platform's steps install is the one package.json pins.
func TestPlatformInstallsThePinnedCLI(t *testing.T) {
	b, err := os.ReadFile("../package.json")
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct {
		DevDependencies map[string]string `json:"devDependencies"`
	}
	json.Unmarshal(b, &pkg)
	if pkg.DevDependencies["aws-cdk"] != stacks.CDKCLIVersion {
		t.Errorf("package.json pins aws-cdk %s, stacks.CDKCLIVersion is %s", pkg.DevDependencies["aws-cdk"], stacks.CDKCLIVersion)
	}
}

// This repository's pull requests get a check through the connection: the synth and the diff
// of every stack, reported on the pull request, nothing deployed; the check may read what is
// deployed through the CDK bootstrap roles (lookup, deploy).
func TestPlatformPullRequestsAreSynthesizedAndDiffed(t *testing.T) {
	assert(t, "platform pull-request project", func() {
		staged.template(t, platformStack).HasResourceProperties(jsii.String("AWS::CodeBuild::Project"), &m{
			"Name": "golden-pipelines-platform-pull-requests",
			"Source": assertions.Match_ObjectLike(&m{
				"Type": "GITHUB", "Location": "https://github.com/acme/golden-pipelines.git", "ReportBuildStatus": true,
				"Auth": m{"Type": "CODECONNECTIONS", "Resource": "arn:aws:codeconnections:eu-west-1:111111111111:connection/9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"},
			}),
			"Triggers": m{"Webhook": true, "FilterGroups": a{a{
				m{"Type": "EVENT", "Pattern": "PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED, PULL_REQUEST_REOPENED"},
				m{"Type": "BASE_REF", "Pattern": "^refs/heads/main$"},
			}}, "PullRequestBuildPolicy": m{"RequiresCommentApproval": "FORK_PULL_REQUESTS"}},
		})
	})
	bs := mustJSON(t, buildSpec(t, staged, platformStack, "golden-pipelines-platform-pull-requests"))
	for _, want := range []string{"npm run cdk -- synth --quiet", "go run ./cmd/controltower cdk.out", "npx cdk --app cdk.out diff --method template --fail-on never"} {
		if !strings.Contains(bs, want) {
			t.Errorf("the check does not run %q:\n%s", want, bs)
		}
	}
	if strings.Contains(bs, " deploy") {
		t.Errorf("the pull-request check deploys:\n%s", bs)
	}
}

// fakeTool records a tool's arguments, one call a line, in $AWS_STATE/calls.
const fakeTool = `#!/usr/bin/env bash
echo "$(basename "$0") $*" >> "$AWS_STATE/calls"
`

// The Synth stage and the pull-request check run the README's main job: npm ci, the real synth
// with the pinned CLI, the Control Tower check over the assembly; the check then diffs every
// stack through the lookup role (templates, no change set) without failing on a difference.
func TestPlatformSynthAndPullRequestSteps(t *testing.T) {
	for _, c := range []struct {
		project string
		want    string
	}{
		{"golden-pipelines-platform-synth", "npm ci\nnpm run cdk -- synth --quiet\ngo run ./cmd/controltower cdk.out\n"},
		{"golden-pipelines-platform-pull-requests", "npm ci\nnpm run cdk -- synth --quiet\ngo run ./cmd/controltower cdk.out\nnpx cdk --app cdk.out diff --method template --fail-on never\n"},
	} {
		t.Run(c.project, func(t *testing.T) {
			r := runSpec(t, buildSpec(t, staged, platformStack, c.project), nil, func(work, state string) {
				bin := filepath.Join(filepath.Dir(state), "bin")
				for _, tool := range []string{"npm", "npx", "go"} {
					os.WriteFile(filepath.Join(bin, tool), []byte(fakeTool), 0o755)
				}
			})
			if !r.ok {
				t.Fatalf("%s failed:\n%s", c.project, r.output)
			}
			calls, _ := os.ReadFile(filepath.Join(r.state, "calls"))
			if string(calls) != c.want {
				t.Errorf("calls:\n%s\nwant:\n%s", calls, c.want)
			}
		})
	}
}
