package test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// A service on a CodeConnections connection: the source action names the connection, the
// repository (owner/name) and the branch, with change detection off (the trigger starts the
// pipeline: "When a trigger configuration is specified, default change detection for
// repository and branch commits is disabled", CodePipeline User Guide); the V2 trigger's push
// filter takes the branch with the service's folder; the action role may use the connection
// under its codeconnections name ("the service prefix needs to match that of the resource");
// and no EventBridge rule watches CodeCommit.
func TestConnectionSourceStartsOnPushesToItsFolder(t *testing.T) {
	const conn = "arn:aws:codeconnections:eu-west-1:111111111111:connection/5e1f0c2a-7b3d-4c9e-8a6f-2d4b1c0e9f37"
	tpl := fixture.template(t, "search-pipeline")
	assert(t, "source action and trigger", func() {
		tpl.HasResourceProperties(jsii.String("AWS::CodePipeline::Pipeline"), &m{
			"PipelineType": "V2",
			"Stages": assertions.Match_ArrayWith(&a{assertions.Match_ObjectLike(&m{"Name": "Source", "Actions": a{assertions.Match_ObjectLike(&m{
				"ActionTypeId":  m{"Category": "Source", "Owner": "AWS", "Provider": "CodeStarSourceConnection", "Version": "1"},
				"Configuration": m{"ConnectionArn": conn, "FullRepositoryId": "acme/shop", "BranchName": "main", "DetectChanges": false},
			})}})}),
			"Triggers": a{m{"ProviderType": "CodeStarSourceConnection", "GitConfiguration": m{
				"SourceActionName": "Source",
				"Push":             a{m{"Branches": m{"Includes": a{"main"}}, "FilePaths": m{"Includes": a{"services/search/**"}}}},
			}}},
		})
	})
	assert(t, "the action role uses the connection", func() {
		tpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), &m{
			"PolicyDocument": m{"Statement": assertions.Match_ArrayWith(&a{
				assertions.Match_ObjectLike(&m{"Action": "codestar-connections:UseConnection", "Resource": conn}),
				assertions.Match_ObjectLike(&m{"Sid": "UseTheConnection", "Action": "codeconnections:UseConnection", "Resource": conn}),
			})},
		})
	})
	for _, r := range fixture.resources(t, "search-pipeline", "AWS::Events::Rule") {
		if strings.Contains(mustJSON(t, props(r)["EventPattern"]), "aws.codecommit") {
			t.Errorf("a connection-sourced pipeline has a CodeCommit rule: %v", props(r)["EventPattern"])
		}
	}
	// The build works from the folder: the steps' paths have the folder in front, the service's
	// own commands start in it (the first line of their script).
	bs := buildSpec(t, fixture, "search-pipeline", "search-build")
	vars := bs["env"].(map[string]interface{})["variables"].(map[string]interface{})
	if vars["DOCKERFILE"] != "services/search/Dockerfile" || vars["CONTEXT"] != "services/search/." || vars["REPORT_DIR"] != "services/search/reports" {
		t.Errorf("build variables %v", vars)
	}
	install := mustJSON(t, bs["phases"].(map[string]interface{})["install"])
	if !strings.Contains(install, `services/search`) || !strings.Contains(install, `export REPORT_DIR=`) {
		t.Errorf("the build's commands do not start in the folder:\n%s", install)
	}
}

// A service that releases tags: the push filter takes the tags alone (a push filter combines
// "tags; branches; branches + file paths", CodePipeline User Guide, "Filter triggers on code
// push or pull requests"); a GitLab subgroup repository keeps its whole path; a connection of
// the older codestar-connections form needs no second statement.
func TestTagReleasesFilterOnTagsAlone(t *testing.T) {
	tpl := variants.template(t, "tagged-pipeline")
	assert(t, "tag trigger", func() {
		tpl.HasResourceProperties(jsii.String("AWS::CodePipeline::Pipeline"), &m{
			"Stages": assertions.Match_ArrayWith(&a{assertions.Match_ObjectLike(&m{"Name": "Source", "Actions": a{assertions.Match_ObjectLike(&m{
				"Configuration": assertions.Match_ObjectLike(&m{"FullRepositoryId": "acme/platform/shop", "BranchName": "trunk"}),
			})}})}),
			"Triggers": a{m{"ProviderType": "CodeStarSourceConnection", "GitConfiguration": m{
				"SourceActionName": "Source",
				"Push":             a{m{"Tags": m{"Includes": a{"tagged-v*", "release-*"}}}},
			}}},
		})
	})
	if strings.Contains(mustJSON(t, variants.templates["tagged-pipeline"]), "codeconnections:UseConnection") {
		t.Error("a codestar-connections ARN got a codeconnections statement")
	}
}

// A pull-request check: a CodeBuild project on the repository through the connection (source
// auth CODECONNECTIONS, its resource the connection: CodeBuild API Reference, SourceAuth),
// started by the provider's webhook for pull requests to the branch that touch the folder,
// reporting its result on the pull request; its role may read the repository through the
// connection ("codeconnections:GetConnectionToken", "codeconnections:GetConnection": CodeBuild
// User Guide, "GitHub App connections"). It deploys nothing: no artifacts, no release steps.
func TestPullRequestsAreCheckedAndReported(t *testing.T) {
	const conn = "arn:aws:codeconnections:eu-west-1:111111111111:connection/5e1f0c2a-7b3d-4c9e-8a6f-2d4b1c0e9f37"
	tpl := fixture.template(t, "search-pipeline")
	assert(t, "pull-request project", func() {
		tpl.HasResourceProperties(jsii.String("AWS::CodeBuild::Project"), &m{
			"Name":      "search-pull-requests",
			"Artifacts": m{"Type": "NO_ARTIFACTS"},
			"Source": assertions.Match_ObjectLike(&m{
				"Type": "GITHUB", "Location": "https://github.com/acme/shop.git", "ReportBuildStatus": true,
				"Auth": m{"Type": "CODECONNECTIONS", "Resource": conn},
			}),
			"Triggers": m{"Webhook": true, "FilterGroups": a{a{
				m{"Type": "EVENT", "Pattern": "PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED, PULL_REQUEST_REOPENED"},
				m{"Type": "BASE_REF", "Pattern": "^refs/heads/main$"},
				m{"Type": "FILE_PATH", "Pattern": "^services/search/"},
			}}, "PullRequestBuildPolicy": m{"RequiresCommentApproval": "FORK_PULL_REQUESTS"}},
		})
	})
	// By a policy of its own, which the project waits for (creating the project creates the
	// webhook through the connection: aws-cdk#31726).
	var accessID string
	for id, r := range fixture.resources(t, "search-pipeline", "AWS::IAM::Policy") {
		if strings.Contains(mustJSON(t, props(r)["PolicyDocument"]), `"Sid":"ReadTheRepositoryThroughTheConnection"`) {
			accessID = id
			if got := mustJSON(t, props(r)["PolicyDocument"].(map[string]interface{})["Statement"]); !strings.Contains(got, `"Action":["codeconnections:GetConnection","codeconnections:GetConnectionToken","codeconnections:UseConnection"]`) {
				t.Errorf("connection access %s", got)
			}
		}
	}
	for id, r := range fixture.resources(t, "search-pipeline", "AWS::CodeBuild::Project") {
		if props(r)["Name"] == "search-pull-requests" {
			deps, _ := fixture.templates["search-pipeline"]["Resources"].(map[string]interface{})[id].(map[string]interface{})["DependsOn"].([]interface{})
			if accessID == "" || !slices.Contains(deps, interface{}(accessID)) {
				t.Errorf("the pull-request project does not wait for its connection access (%q, DependsOn %v)", accessID, deps)
			}
		}
	}
	bs := mustJSON(t, buildSpec(t, fixture, "search-pipeline", "search-pull-requests"))
	for _, step := range []string{"docker", "package-lambda", "BUILD_TAG", "ecr"} {
		if strings.Contains(bs, step) {
			t.Errorf("the pull-request check does %s:\n%s", step, bs)
		}
	}
	// GitLab: its own events, and every pull request to the branch (no file-path filter).
	assert(t, "GitLab check", func() {
		variants.template(t, "tagged-pipeline").HasResourceProperties(jsii.String("AWS::CodeBuild::Project"), &m{
			"Name":   "tagged-pull-requests",
			"Source": assertions.Match_ObjectLike(&m{"Type": "GITLAB", "Location": "https://gitlab.com/acme/platform/shop.git"}),
			"Triggers": m{"Webhook": true, "FilterGroups": a{a{
				m{"Type": "EVENT", "Pattern": "PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED, PULL_REQUEST_REOPENED"},
				m{"Type": "BASE_REF", "Pattern": "^refs/heads/trunk$"},
			}}, "PullRequestBuildPolicy": m{"RequiresCommentApproval": "FORK_PULL_REQUESTS"}},
		})
	})
}

// The check runs the service's install and test commands from its folder, with the report
// directory as the definition writes it, and publishes the report from the folder.
func TestPullRequestCheckRunsTheTestsFromTheFolder(t *testing.T) {
	bs := buildSpec(t, variants, "tagged-pipeline", "tagged-pull-requests")
	r := runSpec(t, bs, map[string]string{"CODEBUILD_BUILD_ID": "tagged-pull-requests:0b7e2c4e"}, func(work, state string) {
		os.MkdirAll(filepath.Join(work, "services", "tagged"), 0o755)
	})
	if !r.ok {
		t.Fatalf("check failed:\n%s", r.output)
	}
	log, _ := os.ReadFile(filepath.Join(r.state, "work.log"))
	if want := filepath.Join(r.work, "services", "tagged") + "\nreports in reports\n"; string(log) != want {
		t.Errorf("the commands ran in and saw:\n%s\nwant:\n%s", log, want)
	}
	if _, err := os.Stat(filepath.Join(r.work, "services", "tagged", "reports", "junit.xml")); err != nil {
		t.Errorf("no report in the folder's reports: %v\n%s", err, r.output)
	}
	reports := bs["reports"].(map[string]interface{})["unit-tests"].(map[string]interface{})
	if reports["base-directory"] != "services/tagged/reports" {
		t.Errorf("the report is published from %v", reports["base-directory"])
	}
}
