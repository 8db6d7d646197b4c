// Command go-app is a Go CDK app that builds a golden pipeline without any YAML: the service is
// a typed spec.Service, and the constructs are composed by hand, as a platform team does in an
// app of its own. The constructs apply the service's defaults and validate it themselves; a
// bad value fails `cdk synth` with the construct's path, the field and the fix.
//
// Run it with the project's pinned CDK CLI from this folder: npm run cdk -- synth --app 'go run ./examples/go-app'
// (from the repository root), or `go run ./examples/go-app` with CDK_OUTDIR set.
package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/feedback"
	"github.com/golden-pipelines/microservice-pipelines/constructs/lambdaservice"
	"github.com/golden-pipelines/microservice-pipelines/constructs/pipeline"
	"github.com/golden-pipelines/microservice-pipelines/constructs/policy"
	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

func main() {
	app := awscdk.NewApp(nil)
	Build(app, Inventory())
	app.Synth(nil)
	jsii.Close()
}

// Inventory is the service: a Node.js function released to dev, then to production behind an
// approval, with a custom alarm in production. Everything left out takes its default.
func Inventory() spec.Service {
	threshold := 5.0
	return spec.Service{
		Name:   "inventory",
		Lambda: spec.Lambda{Runtime: "nodejs22.x", Handler: "index.handler", MemoryMiB: 512},
		Stages: []spec.Stage{
			{Name: "dev", IntegrationTest: spec.IntegrationTest{Install: []string{"npm ci"}, Commands: []string{"npm run test:integration"}}},
			{Name: "production", Alarms: spec.Alarms{Custom: []spec.CustomAlarm{
				{Name: "stock-errors", Namespace: "Inventory", MetricName: "StockErrors", Threshold: &threshold},
			}}},
		},
		Notifications: spec.Notifications{Emails: []string{"inventory-team@example.com"}},
	}
}

// App is what Build made: the pipeline stack and its parts, and one service stack per stage.
type App struct {
	PipelineStack awscdk.Stack
	Pipeline      *pipeline.MicroservicePipeline
	Feedback      *feedback.ServiceFeedback
	Targets       map[string]*lambdaservice.LambdaService
}

// Build adds the service's stacks to the app: <service>-pipeline with the pipeline and its
// notifications, and <service>-<stage> for each stage (all in the app's own account and region
// here; see docs/stages.md for targets elsewhere).
func Build(app awscdk.App, svc spec.Service) *App {
	out := &App{Targets: map[string]*lambdaservice.LambdaService{}}
	out.PipelineStack = awscdk.NewStack(app, jsii.String(svc.Name+"-pipeline"), nil)
	out.Pipeline = pipeline.NewMicroservicePipeline(out.PipelineStack, "Pipeline", &pipeline.Props{Service: svc})
	out.Feedback = feedback.NewServiceFeedback(out.PipelineStack, "Feedback", &feedback.ServiceProps{
		Service: svc, Pipeline: out.Pipeline.Pipeline, Key: out.Pipeline.Key,
	})
	// cdk deploy resolves the release parameters with the CDK deploy role: once per account.
	pipeline.NewReleaseParameterAccess(out.PipelineStack, "ReleaseParameterAccess")
	defaulted := svc.WithDefaults()
	for _, stage := range defaulted.StageNames() {
		stack := awscdk.NewStack(app, jsii.String(svc.Name+"-"+stage), nil)
		// The pipeline stack holds the release parameter and the packages the stage runs.
		stack.AddStackDependency(out.PipelineStack, jsii.String("the release parameter and package bucket"))
		out.Targets[stage] = lambdaservice.NewLambdaService(stack, "Service", &lambdaservice.Props{
			Service: svc, Stage: stage, PackageBucket: out.Pipeline.PackageBucket,
		})
	}
	// The golden rules check every stack when the app is synthesized.
	policy.Register(app)
	return out
}
