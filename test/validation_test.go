package test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
	"github.com/golden-pipelines/microservice-pipelines/stacks"
)

// A bad definition is reported with every other problem, and nothing is created: not even the
// stacks of the good definitions beside it.
func TestBadDefinitionsCreateNothing(t *testing.T) {
	bad := fixtures()
	for i := range bad {
		if bad[i].Name == "payments" {
			bad[i].Stage("production").Deployment.Config = "Linear10PercentEvery1Minutes"
			bad[i].Lambda.MemoryMiB = 100000
		}
	}
	app := awscdk.NewApp(nil)
	created, err := stacks.AddServices(app, bad, nil)
	var ps spec.Problems
	if !errors.As(err, &ps) || created != nil {
		t.Fatalf("want problems and nothing created, got %v, %v", err, created)
	}
	msg := err.Error()
	for _, want := range []string{
		`service "payments": production.deployment.config: "Linear10PercentEvery1Minutes" is not a predefined Lambda deployment config`,
		`did you mean "Linear10PercentEvery1Minute"?`,
		`service "payments": lambda.memoryMiB: 100000 MiB is out of range; fix: use 128 to 10240`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if n := len(*app.Node().Children()); n != 0 {
		t.Errorf("%d constructs created for a rejected app", n)
	}
}
