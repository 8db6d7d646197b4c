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

// The platform's gate alarms (cdk.json context golden-pipelines:gateAlarms) join every stage
// that gates or bakes, and are validated with them; a context that is no list of names is
// refused before anything is created.
func TestPlatformGateAlarms(t *testing.T) {
	svc := spec.Service{Name: "orders", Lambda: spec.Lambda{Runtime: "nodejs22.x", Handler: "index.handler"}}
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]interface{}{GateAlarmsContext: []interface{}{"platform-incident"}}})
	out, err := AddServices(app, []spec.Service{svc}, nil)
	if err != nil {
		t.Fatal(err)
	}
	stages := out[0].Spec.Stages
	if got := stages[1].WatchedAlarms(&out[0].Spec); strings.Join(got, ",") != "orders-production-health,platform-incident" {
		t.Errorf("production watches %v", got)
	}
	if got := stages[0].WatchedAlarms(&out[0].Spec); strings.Join(got, ",") != "orders-staging-health" {
		t.Errorf("staging (no gate, no bake) watches %v", got)
	}
	bad := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]interface{}{GateAlarmsContext: "platform-incident"}})
	if _, err := AddServices(bad, []spec.Service{svc}, nil); err == nil || !strings.Contains(err.Error(), "not a list of alarm names") {
		t.Errorf("a context that is no list: %v", err)
	}
	if n := len(*bad.Node().Children()); n != 0 {
		t.Errorf("%d constructs created", n)
	}
}

// The platform pipeline's context is checked before anything is created: problems name the
// key, the field and the fix.
func TestPlatformContextIsChecked(t *testing.T) {
	svc := spec.Service{Name: "orders", Lambda: spec.Lambda{Runtime: "nodejs22.x", Handler: "index.handler"}}
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]interface{}{PlatformContext: map[string]interface{}{
		"connection": "arn:aws:codecommit:eu-west-1:111111111111:x", "repository": "golden-pipelines",
		"canaryServices": []interface{}{"order"}, "pullRequests": true, "provider": "github-enterprise", "host": "git.example.com",
	}}})
	_, err := AddServices(app, []spec.Service{svc}, nil)
	for _, want := range []string{
		"context golden-pipelines:platform.connection: \"arn:aws:codecommit:eu-west-1:111111111111:x\" is not a CodeConnections connection ARN",
		"context golden-pipelines:platform.repository: \"golden-pipelines\" has no owner: with a connection, repository is owner/name",
		"context golden-pipelines:platform.canaryServices[0]: \"order\" is not a service of the app",
		"context golden-pipelines:platform.pullRequests: cannot be checked for GitHub Enterprise Server",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in: %v", want, err)
		}
	}
	if n := len(*app.Node().Children()); n != 0 {
		t.Errorf("%d constructs created", n)
	}
}
