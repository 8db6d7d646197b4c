package stacks

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// A home the app's account and region complete is validated again with them: a target spelled
// out and one left to the home are then the same target, and nothing is created. A target
// naming an account under an app whose own is not known is refused too.
func TestResolvedHomesAreValidatedAgain(t *testing.T) {
	svc := spec.Service{Name: "orders", Lambda: spec.Lambda{Runtime: "nodejs22.x", Handler: "index.handler"},
		Stages: []spec.Stage{{Name: "staging", Targets: []spec.Target{{}, {Account: "111111111111"}}}, {Name: "production"}}}
	app := awscdk.NewApp(nil)
	_, err := AddServices(app, []spec.Service{svc}, &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-1")})
	if err == nil || !strings.Contains(err.Error(), `stages[0].targets[1]: 111111111111/eu-west-1 is also stages[0].targets[0]`) {
		t.Errorf("got %v", err)
	}
	if n := len(*app.Node().Children()); n != 0 {
		t.Errorf("%d constructs created", n)
	}
	_, err = AddServices(awscdk.NewApp(nil), []spec.Service{svc}, nil)
	if err == nil || !strings.Contains(err.Error(), "deploys to 111111111111/home, but the pipeline's own account and region are not known") {
		t.Errorf("environment-agnostic: %v", err)
	}
}
