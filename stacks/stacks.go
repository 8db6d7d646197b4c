// Package stacks composes the constructs into CloudFormation stacks: a shared stack per account
// and region, and per service a pipeline stack in its home, a support stack in each other
// account and region it deploys to, and a service stack per target.
package stacks

import (
	"fmt"

	"github.com/golden-pipelines/microservice-pipelines/constructs/platform"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/ecsservice"
	"github.com/golden-pipelines/microservice-pipelines/constructs/feedback"
	"github.com/golden-pipelines/microservice-pipelines/constructs/lambdaservice"
	"github.com/golden-pipelines/microservice-pipelines/constructs/pipeline"
	"github.com/golden-pipelines/microservice-pipelines/constructs/policy"
	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// Service is every stack of one service.
type Service struct {
	// Spec is the definition with its defaults filled in.
	Spec spec.Service
	// PipelineStack holds the pipeline, named <service>-pipeline, in the service's home.
	PipelineStack awscdk.Stack
	// Pipeline is the service's MicroservicePipeline.
	Pipeline *pipeline.MicroservicePipeline
	// Feedback is the service's notification topic, rules, production-failed alarm and
	// dashboard, in the pipeline stack.
	Feedback *feedback.ServiceFeedback
	// SupportStacks are the pipeline's stacks in each account and region away from home
	// (<service>-support-<account>-<region>, named <service>-support: pipeline.SupportScope):
	// its targets' release parameters and deploy action roles there, or a region's artifact
	// store.
	SupportStacks []awscdk.Stack
	// Targets are the service stacks, one per target, in release order.
	Targets []*Target
}

// Target is the service stack of one target: <service>-<stage> in the target's account and
// region (its ID in cdk ls ends in the target's suffix in a stage of several targets).
type Target struct {
	*pipeline.Target
	Stack awscdk.Stack
	// Service is the Lambda deployment target (nil for a container service).
	Service *lambdaservice.LambdaService
	// Container is the ECS deployment target (nil for a Lambda service).
	Container *ecsservice.EcsService
}

// AddServices fills in the defaults of every definition, validates them all, and only then
// creates the stacks: a bad definition creates nothing, and the error lists every problem in
// every definition (spec.Problems). env is the app's account and region (nil:
// environment-agnostic), the home of every service that names none.
//
// An error the CDK raises while creating the constructs (a jsii panic) is caught: the error is
// then CDKErrors, one for each service (or shared stack) whose constructs raised one, and the
// app must not be synthesized.
// GateAlarmsContext is the context key of the platform's gate alarms: alarm names (in every
// target's account and region) that every stage's alarm gate and bake watch beside its own,
// e.g. "golden-pipelines:gateAlarms": ["platform-incident"] in cdk.json.
const GateAlarmsContext = "golden-pipelines:gateAlarms"

// platformGateAlarms reads GateAlarmsContext: a list of names, or nothing.
func platformGateAlarms(app awscdk.App) ([]string, error) {
	v := app.Node().TryGetContext(jsii.String(GateAlarmsContext))
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]interface{})
	var out []string
	for _, item := range list {
		name, isText := item.(string)
		if !isText || name == "" {
			ok = false
			break
		}
		out = append(out, name)
	}
	if !ok {
		return nil, spec.Problems{{Field: "context " + GateAlarmsContext, What: fmt.Sprintf("is %v, not a list of alarm names", v),
			Fix: `write a list of names in cdk.json's context, e.g. "` + GateAlarmsContext + `": ["platform-incident"]`}}
	}
	return out, nil
}

func AddServices(app awscdk.App, services []spec.Service, env *awscdk.Environment) ([]*Service, error) {
	gateAlarms, err := platformGateAlarms(app)
	if err != nil {
		return nil, err
	}
	defaulted := make([]spec.Service, len(services))
	for i, s := range services {
		defaulted[i] = s.WithDefaults().WithPlatformGateAlarms(gateAlarms)
	}
	if err := spec.ValidateAll(defaulted); err != nil {
		return nil, err
	}
	platformCfg, err := platformConfig(app, defaulted)
	if err != nil {
		return nil, err
	}
	if len(defaulted) == 0 {
		return nil, nil
	}
	plan, err := newPlan(defaulted, env)
	if err != nil {
		return nil, err
	}
	for _, e := range plan.envs {
		if err := catch("", e.stackID(), func(func(string)) { e.shared = newShared(app, plan, e) }); err != nil {
			return nil, CDKErrors{*err}
		}
	}
	out := make([]*Service, len(defaulted))
	var errs CDKErrors
	for i, s := range defaulted {
		if err := catch(s.Name, s.PipelineStackName(), func(building func(string)) {
			out[i] = newService(app, plan, s, building)
		}); err != nil {
			errs = append(errs, *err)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if platformCfg != nil {
		if err := catch("", platform.StackName, func(func(string)) { addPlatform(app, plan, platformCfg, out) }); err != nil {
			return nil, CDKErrors{*err}
		}
	}
	// The golden rules check every stack of the app when it is synthesized, and fail the
	// synthesis on any violation; the wildcards they allow are acknowledged for cdk-nag.
	policy.Register(app)
	for _, stack := range plan.stacks {
		policy.SuppressAllowedWildcards(stack)
	}
	return out, nil
}

// AppContext is the context the app sets itself (app/main.go passes it to awscdk.NewApp; the
// tests and the benchmark add it to cdk.json's): no creation stack traces. The CDK would record
// a JavaScript stack trace for every construct in the assembly's metadata, and from Go those
// hold no user frames; leaving them out made a 50-service synth 14% faster. It is not in
// cdk.json because the CLI warns about "aws:" keys there.
func AppContext() map[string]interface{} {
	return map[string]interface{}{"aws:cdk:disable-creation-stack-traces": true}
}

// SharedStackName is the stack every account and region the pipelines use holds once (its ID
// in cdk ls ends in -<account>-<region> but for the app's own account and region).
const SharedStackName = "golden-pipelines-shared"

// newShared creates the shared stack of one account and region: the CDK deploy role may
// resolve release parameters there; as a home, the delivery events, metrics and overview of
// its services, and (for pipelines that deploy to other accounts) the bus policy that lets
// those accounts forward their deployment events; as a target of pipelines from elsewhere,
// what their steps need (the deploy role's access, a package bucket) and the forwarding home.
func newShared(app awscdk.App, plan *plan, e *envUse) awscdk.Stack {
	shared := plan.stack(app, e.stackID(), SharedStackName, e.Target,
		"Golden pipelines: what every service needs once per account and region (the CDK deploy role may resolve release parameters; delivery events, metrics and dashboards; access for pipelines from elsewhere)", nil)
	pipeline.NewReleaseParameterAccess(shared, "ReleaseParameterAccess")
	if len(e.homeOf) > 0 {
		feedback.NewSharedFeedback(shared, "Feedback", &feedback.SharedProps{Services: e.homeOf})
		feedback.NewEventBusAccess(shared, "TargetAccount", e.forwardingAccounts())
	}
	if len(e.homes) > 0 {
		e.access = pipeline.NewTargetAccess(shared, "TargetAccess", &pipeline.TargetAccessProps{
			Packages: e.lambda, Containers: e.containers, StackNames: e.stackNames,
		})
		e.feedback = feedback.NewTargetFeedback(shared, "TargetFeedback", &feedback.TargetFeedbackProps{Homes: e.homes})
	}
	return shared
}

// EnvFromCLI is the account and region the CDK CLI resolved from the caller's credentials
// (CDK_DEFAULT_ACCOUNT, CDK_DEFAULT_REGION), or nil without credentials: the stacks are then
// environment-agnostic and still synthesize.
func EnvFromCLI() *awscdk.Environment {
	account, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION")
	if account == "" || region == "" {
		return nil
	}
	return &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)}
}
