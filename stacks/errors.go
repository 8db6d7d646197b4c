package stacks

import (
	"fmt"
	"strings"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// CDKError is an error the CDK raised (through jsii, as a panic) while the constructs of a
// service were created or its stacks synthesized.
type CDKError struct {
	// Service whose constructs raised it; "" for the shared stack.
	Service string
	// Stack being built, or named by the error.
	Stack string
	// Message is the CDK's message, without a stack trace.
	Message string
}

func (e CDKError) Error() string {
	who := "the shared stack " + e.Stack
	if e.Service != "" {
		who = fmt.Sprintf("service %q (stack %s)", e.Service, e.Stack)
	}
	return fmt.Sprintf("the CDK refused %s: %s", who, e.Message)
}

// CDKErrors is every CDK error of an app.
type CDKErrors []CDKError

func (es CDKErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// catch runs build and turns a panic (a CDK error through jsii, or a Go one) into a CDKError of
// the service and the stack build said it was building last.
func catch(service, stack string, build func(building func(stack string))) (err *CDKError) {
	current := stack
	defer func() {
		if r := recover(); r != nil {
			err = &CDKError{Service: service, Stack: current, Message: Message(r)}
		}
	}()
	build(func(s string) { current = s })
	return nil
}

// Message is the text of a recovered panic for people: its first lines without a JavaScript
// or Go stack trace, the definition's characters made visible.
func Message(r interface{}) string {
	var lines []string
	for _, l := range strings.Split(fmt.Sprint(r), "\n") {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "at ") || strings.HasPrefix(t, "goroutine ") || strings.HasSuffix(t, ".go") ||
			strings.Contains(t, ".go:") || strings.Contains(t, "node_modules") {
			continue
		}
		lines = append(lines, spec.Visible(strings.TrimRight(l, " \r")))
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}
