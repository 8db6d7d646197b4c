package stacks

import (
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/internal/testenv"
)

func TestMain(m *testing.M) {
	testenv.WithoutValidation()
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// A CDK error raised through jsii while a service's constructs are created becomes a CDKError
// naming the service and the stack being built, with the CDK's message and nothing else.
func TestCDKErrorsAreCaught(t *testing.T) {
	app := awscdk.NewApp(nil)
	err := catch("orders", "orders-pipeline", func(building func(string)) {
		building("orders-production")
		awscdk.NewStack(app, jsii.String("orders production!"), nil)
	})
	if err == nil || err.Service != "orders" || err.Stack != "orders-production" ||
		!strings.HasPrefix(err.Message, "Stack name must match the regular expression") || strings.Contains(err.Message, "\n") {
		t.Fatalf("got %#v", err)
	}
	if got := (CDKErrors{*err}).Error(); !strings.HasPrefix(got, `the CDK refused service "orders" (stack orders-production): Stack name must match`) {
		t.Errorf("message: %s", got)
	}
	if err := catch("orders", "orders-pipeline", func(func(string)) {}); err != nil {
		t.Errorf("no panic, yet %v", err)
	}
	msg := Message("Error: x\x00y\n    at Foo (/app/node_modules/aws-cdk-lib/core/lib/stack.js:1:2)\ngoroutine 1 [running]:\nmain.go:12")
	if msg != `Error: x\x00y` {
		t.Errorf("Message keeps a trace or a control character: %q", msg)
	}
}
