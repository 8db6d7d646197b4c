package test

import (
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
