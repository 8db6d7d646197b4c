package cdkutil

import (
	"fmt"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// problems is a construct validation (constructs.IValidation): the synthesis fails with each
// problem, the CDK naming the construct's path ("[orders-staging/Service] service "orders":
// lambda.memoryMiB: …").
// jsii passes a Go value to the CDK as an object with overrides only through a pointer to a
// struct.
type problems struct{ list []string }

func (p *problems) Validate() *[]*string { return jsii.Strings(p.list...) }

// Invalid makes the synthesis fail with the problems, on the construct's path.
func Invalid(c constructs.Construct, ps ...string) {
	c.Node().AddValidation(&problems{ps})
}

// Kind of service a construct builds.
const (
	AnyService       = ""
	LambdaService    = "lambda"
	ContainerService = "container"
)

// ServiceFor applies a construct's service definition's defaults and validates it, as the
// construct needs it: of that kind, and with that stage (when stage is not ""). On any problem
// it makes the synthesis fail with every problem, each naming the field and the fix, on the
// construct's path (Invalid), and returns false: the construct then builds nothing more.
// Defaults are idempotent, so a service the app has defaulted and validated passes unchanged.
func ServiceFor(c constructs.Construct, svc spec.Service, kind, stage string) (spec.Service, *spec.Stage, bool) {
	svc = svc.WithDefaults()
	var out []string
	if err := svc.Validate(); err != nil {
		for _, p := range err.(spec.Problems) {
			out = append(out, p.String())
		}
	}
	switch {
	case kind == LambdaService && svc.IsContainer():
		out = append(out, fmt.Sprintf("service %q: container: is set, but this construct deploys a Lambda function; fix: use ecsservice.NewEcsService", svc.Name))
	case kind == ContainerService && !svc.IsContainer():
		out = append(out, fmt.Sprintf("service %q: container: is missing, but this construct deploys a container; fix: use lambdaservice.NewLambdaService, or set container", svc.Name))
	}
	st := svc.Stage(stage)
	if stage != "" && st == nil {
		out = append(out, fmt.Sprintf("service %q: Props.Stage: %q is not one of its stages; fix: use one of %v", svc.Name, stage, svc.StageNames()))
	}
	if len(out) > 0 {
		Invalid(c, out...)
		return svc, nil, false
	}
	return svc, st, true
}

// Required reports whether a required prop is present; when it is not, it makes the synthesis
// fail naming the prop and the fix, as ServiceFor does for the definition's fields.
func Required(c constructs.Construct, svc spec.Service, present bool, prop, fix string) bool {
	if !present {
		Invalid(c, fmt.Sprintf("service %q: %s: missing; fix: %s", svc.Name, prop, fix))
	}
	return present
}
