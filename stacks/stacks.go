// Package stacks composes the constructs into CloudFormation stacks: one pipeline stack per
// service and one service stack per environment.
package stacks

import (
	"fmt"
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
	// PipelineStack holds the pipeline, named <service>-pipeline.
	PipelineStack awscdk.Stack
	// Pipeline is the service's MicroservicePipeline.
	Pipeline *pipeline.MicroservicePipeline
	// Feedback is the service's notification topic, rules, production-failed alarm and
	// dashboard, in the pipeline stack.
	Feedback *feedback.ServiceFeedback
	// Environments are the service stacks in pipeline order (staging, production).
	Environments []*Environment
}

// Environment is the service stack of one environment, named <service>-<environment>.
type Environment struct {
	Name  string
	Stack awscdk.Stack
	// Service is the Lambda deployment target (nil for a container service).
	Service *lambdaservice.LambdaService
	// Container is the ECS deployment target (nil for a Lambda service).
	Container *ecsservice.EcsService
}

// AddServices fills in the defaults of every definition, validates them all, and only then
// creates the stacks: a bad definition creates nothing, and the error lists every problem in
// every definition (spec.Problems). env is the account and region of every stack (nil:
// environment-agnostic).
//
// An error the CDK raises while creating the constructs (a jsii panic) is caught: the error is
// then CDKErrors, one for each service (or the shared stack) whose constructs raised one, and
// the app must not be synthesized.
func AddServices(app awscdk.App, services []spec.Service, env *awscdk.Environment) ([]*Service, error) {
	defaulted := make([]spec.Service, len(services))
	for i, s := range services {
		defaulted[i] = s.WithDefaults()
	}
	if err := spec.ValidateAll(defaulted); err != nil {
		return nil, err
	}
	if len(defaulted) == 0 {
		return nil, nil
	}
	var shared awscdk.Stack
	var errs CDKErrors
	if err := catch("", SharedStackName, func(func(string)) {
		shared = newShared(app, defaulted, env)
	}); err != nil {
		return nil, CDKErrors{*err}
	}
	out := make([]*Service, len(defaulted))
	for i, s := range defaulted {
		if err := catch(s.Name, s.PipelineStackName(), func(building func(string)) {
			out[i] = newService(app, s, env, shared, building)
		}); err != nil {
			errs = append(errs, *err)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	// The golden rules check every stack of the app when it is synthesized, and fail the
	// synthesis on any violation; the wildcards they allow are acknowledged for cdk-nag.
	policy.Register(app)
	policy.SuppressAllowedWildcards(shared)
	for _, s := range out {
		policy.SuppressAllowedWildcards(s.PipelineStack)
		for _, e := range s.Environments {
			policy.SuppressAllowedWildcards(e.Stack)
		}
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

// SharedStackName is the one stack all services share.
const SharedStackName = "golden-pipelines-shared"

func newShared(app awscdk.App, services []spec.Service, env *awscdk.Environment) awscdk.Stack {
	shared := awscdk.NewStack(app, jsii.String(SharedStackName), &awscdk.StackProps{
		Env:         env,
		Description: jsii.String("Golden pipelines: what every service needs once per account (the CDK deploy role may resolve release parameters; delivery events, metrics and the overview dashboard)"),
	})
	pipeline.NewReleaseParameterAccess(shared, "ReleaseParameterAccess")
	feedback.NewSharedFeedback(shared, "Feedback", &feedback.SharedProps{Services: services})
	return shared
}

// newService creates the stacks of one service; building says (to catch) which stack it is
// building, so that a CDK error names it.
func newService(app awscdk.App, svc spec.Service, env *awscdk.Environment, shared awscdk.Stack, building func(stack string)) *Service {
	out := &Service{Spec: svc}
	out.PipelineStack = awscdk.NewStack(app, jsii.String(svc.PipelineStackName()), &awscdk.StackProps{
		Env:         env,
		Description: jsii.String(fmt.Sprintf("Release pipeline of %s: CodeCommit %s@%s to staging and production", svc.Name, svc.Repository, svc.Branch)),
		Tags:        &map[string]*string{"service": jsii.String(svc.Name)},
	})
	out.Pipeline = pipeline.NewMicroservicePipeline(out.PipelineStack, "Pipeline", &pipeline.Props{Service: svc})
	out.Feedback = feedback.NewServiceFeedback(out.PipelineStack, "Feedback", &feedback.ServiceProps{
		Service: svc, Pipeline: out.Pipeline.Pipeline, Key: out.Pipeline.Key,
	})
	// The dashboard reads the shared events log group, and the production-failed alarm the
	// shared metric filters' metric.
	out.PipelineStack.AddStackDependency(shared, jsii.String("the delivery events and their metric"))
	for _, name := range spec.EnvironmentNames {
		building(svc.StackName(name))
		stack := awscdk.NewStack(app, jsii.String(svc.StackName(name)), &awscdk.StackProps{
			Env: env,
			Description: jsii.String(fmt.Sprintf("%s in %s: %s", svc.Name, name, map[bool]string{
				false: "function, live alias and CodeDeploy deployment group",
				true:  "Fargate service, load balancer and CodeDeploy blue/green deployment group",
			}[svc.IsContainer()])),
			Tags: &map[string]*string{"service": jsii.String(svc.Name), "environment": jsii.String(name)},
		})
		// The service stack resolves the release parameter the pipeline stack creates, and
		// reads packages from its bucket: the pipeline stack is deployed first.
		stack.AddStackDependency(out.PipelineStack, jsii.String("the release parameter and package bucket"))
		stack.AddStackDependency(shared, jsii.String("cdk deploy may resolve the release parameter"))
		e := &Environment{Name: name, Stack: stack}
		if svc.IsContainer() {
			e.Container = ecsservice.NewEcsService(stack, "Service", &ecsservice.Props{
				Service:     svc,
				Environment: name,
				Repository:  out.Pipeline.Repository,
			})
		} else {
			e.Service = lambdaservice.NewLambdaService(stack, "Service", &lambdaservice.Props{
				Service:       svc,
				Environment:   name,
				PackageBucket: out.Pipeline.PackageBucket,
			})
		}
		out.Environments = append(out.Environments, e)
	}
	return out
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
