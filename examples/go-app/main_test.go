package main

import (
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
	"github.com/golden-pipelines/microservice-pipelines/internal/testenv"
)

func TestMain(m *testing.M) {
	testenv.WithoutValidation()
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// The example app synthesizes, golden rules on: a pipeline whose stages are the service's, and
// a function with its live alias and CodeDeploy deployment group per stage.
func TestTheGoAppSynthesizes(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	built := Build(app, Inventory())
	app.Synth(nil)
	pipeline := assertions.Template_FromStack(built.PipelineStack, nil)
	pipeline.HasResourceProperties(jsii.String("AWS::CodePipeline::Pipeline"), map[string]interface{}{
		"Name": "inventory",
		"Stages": []interface{}{
			assertions.Match_ObjectLike(&map[string]interface{}{"Name": "Source"}),
			assertions.Match_ObjectLike(&map[string]interface{}{"Name": "Build"}),
			assertions.Match_ObjectLike(&map[string]interface{}{"Name": "Dev"}),
			assertions.Match_ObjectLike(&map[string]interface{}{"Name": "ApproveProduction"}),
			assertions.Match_ObjectLike(&map[string]interface{}{"Name": "Production"}),
		},
	})
	pipeline.HasResourceProperties(jsii.String("AWS::CodeBuild::Project"), map[string]interface{}{"Name": "inventory-integration-test-dev"})
	for _, stage := range []string{"dev", "production"} {
		tpl := assertions.Template_FromStack(awscdk.Stack_Of(built.Targets[stage].Construct), nil)
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]interface{}{"FunctionName": "inventory-" + stage, "MemorySize": 512})
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::Alias"), map[string]interface{}{"Name": spec.LiveAlias})
		tpl.HasResourceProperties(jsii.String("AWS::CodeDeploy::DeploymentGroup"), map[string]interface{}{"DeploymentGroupName": "inventory-" + stage})
	}
	assertions.Template_FromStack(awscdk.Stack_Of(built.Targets["production"].Construct), nil).HasResourceProperties(
		jsii.String("AWS::CloudWatch::Alarm"), map[string]interface{}{"AlarmName": "inventory-production-stock-errors"})
}

// A bad value fails the synthesis with the construct's path, the field and the fix, from every
// construct that was given it; nothing is half-built.
func TestBadPropsFailTheSynthWithPathAndField(t *testing.T) {
	svc := Inventory()
	svc.Lambda.MemoryMiB = 64
	svc.Stages[1].Role = "prod"
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	Build(app, svc)
	var msg string
	func() {
		defer func() {
			msg = strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(fmtRecover(recover()), "\n", " "), "  ", " "))
		}()
		app.Synth(nil)
	}()
	for _, want := range []string{
		"[inventory-pipeline/Pipeline] service \"inventory\": lambda.memoryMiB: 64 MiB is out of range; fix: use 128 to 10240",
		"[inventory-pipeline/Pipeline] service \"inventory\": stages[1].role: \"prod\" is not a stage role",
		"[inventory-dev/Service] service \"inventory\": lambda.memoryMiB",
		"[inventory-pipeline/Feedback] service \"inventory\": lambda.memoryMiB",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("the synthesis failure lacks %q:\n%s", want, msg)
		}
	}
	if n := len(*awscdk.Stack_Of(app.Node().FindChild(jsii.String("inventory-pipeline"))).Node().FindChild(jsii.String("Pipeline")).Node().Children()); n != 0 {
		t.Errorf("the invalid pipeline built %d constructs", n)
	}
	// A stage the service does not have, and a missing bucket.
	app = awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	stack := awscdk.NewStack(app, jsii.String("inventory-qa"), nil)
	newService(stack, Inventory(), "qa")
	func() {
		defer func() { msg = fmtRecover(recover()) }()
		app.Synth(nil)
	}()
	for _, want := range []string{`Props.Stage: "qa" is not one of its stages; fix: use one of [dev production]`, "Props.PackageBucket: missing"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the synthesis failure lacks %q:\n%s", want, msg)
		}
	}
}
