package test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
	"github.com/golden-pipelines/microservice-pipelines/stacks"
)

// The golden rules are part of the app as stacks.AddServices composes it, not something a test
// adds: a stack that breaks one (here an unencrypted bucket beside a service's pipeline) fails
// the synthesis of that app.
func TestComposedAppEnforcesTheGoldenRules(t *testing.T) {
	dir := t.TempDir()
	ctx := cdkContext()
	ctx["@aws-cdk/core:appMode"] = "inmemory" // the synthesis error carries the report
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(dir), Context: &ctx})
	created, err := stacks.AddServices(app, []spec.Service{{Name: "ruled", Lambda: spec.Lambda{Runtime: "nodejs22.x", Handler: "index.handler"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	awss3.NewCfnBucket(created[0].PipelineStack, jsii.String("Unencrypted"), &awss3.CfnBucketProps{})
	synthError := func() (msg string) {
		defer func() {
			if r := recover(); r != nil {
				msg = fmt.Sprint(r)
			}
		}()
		app.Synth(nil)
		return ""
	}()
	if !strings.Contains(synthError, "golden-pipelines::storage-encrypted") || !strings.Contains(synthError, "ruled-pipeline/Unencrypted") {
		t.Errorf("the composed app synthesized a stack that breaks storage-encrypted (is policy.Register still called?): %.400s", synthError)
	}
}
