package stacks

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/ecsservice"
	"github.com/golden-pipelines/microservice-pipelines/constructs/feedback"
	"github.com/golden-pipelines/microservice-pipelines/constructs/lambdaservice"
	"github.com/golden-pipelines/microservice-pipelines/constructs/pipeline"
	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// newService creates the stacks of one service; building says (to catch) which stack it is
// building, so that a CDK error names it.
func newService(app awscdk.App, p *plan, svc spec.Service, building func(stack string)) *Service {
	home := p.use(p.homes[svc.Name])
	out := &Service{Spec: svc}
	out.PipelineStack = p.stack(app, svc.PipelineStackName(), svc.PipelineStackName(), home.Target,
		fmt.Sprintf("Release pipeline of %s: %s to %s", svc.Name, sourceDescription(&svc), strings.Join(svc.StageNames(), ", then ")),
		map[string]string{"service": svc.Name})
	out.Pipeline = pipeline.NewMicroservicePipeline(out.PipelineStack, "Pipeline", &pipeline.Props{Service: svc,
		Support: func(account, region string) constructs.Construct {
			id := SupportStackID(svc.Name, spec.Target{Account: account, Region: region})
			building(id)
			return p.stack(app, id, svc.Name+"-support", spec.Target{Account: account, Region: region},
				fmt.Sprintf("What the %s pipeline keeps in %s/%s: its targets' release parameters and deploy roles there, or its artifact store", svc.Name, account, region),
				map[string]string{"service": svc.Name})
		}})
	out.SupportStacks = out.Pipeline.SupportStacks
	out.Feedback = feedback.NewServiceFeedback(out.PipelineStack, "Feedback", &feedback.ServiceProps{
		Service: svc, Pipeline: out.Pipeline.Pipeline, Key: out.Pipeline.Key,
	})
	// The dashboard reads the shared events log group, and the production-failed alarm the
	// shared metric filters' metric.
	out.PipelineStack.AddStackDependency(home.shared, jsii.String("the delivery events and their metric"))
	for _, t := range out.Pipeline.Targets {
		id := svc.TargetStackID(t.Spec())
		building(id)
		out.Targets = append(out.Targets, p.target(app, out, t, id))
	}
	return out
}

// target creates the service stack of one target.
func (p *plan) target(app awscdk.App, s *Service, t *pipeline.Target, id string) *Target {
	svc, where := &s.Spec, spec.Target{Account: t.Account, Region: t.Region}
	home := p.use(p.homes[svc.Name])
	at := home
	if !t.Home {
		at = p.use(where)
	}
	stack := p.stack(app, id, svc.StackName(t.Stage), at.Target, fmt.Sprintf("%s in %s (%s%s): %s", svc.Name, t.Stage, t.Role, describeTarget(t), map[bool]string{
		false: "function, live alias and CodeDeploy deployment group",
		true:  "Fargate service, load balancer and CodeDeploy blue/green deployment group",
	}[svc.IsContainer()]), map[string]string{"service": svc.Name, "stage": t.Stage, "role": t.Role})
	// cdk deploy may resolve the release parameter (the shared stack's policy).
	stack.AddStackDependency(at.shared, jsii.String("cdk deploy may resolve the release parameter"))
	out := &Target{Target: t, Stack: stack}
	packages, topic := awss3.IBucket(nil), awssns.ITopic(nil)
	repository := awsecr.IRepository(nil)
	pipelineAccount := ""
	if t.Home {
		// The service stack resolves the release parameter the pipeline stack creates, and
		// reads packages from its bucket: the pipeline stack is deployed first.
		stack.AddStackDependency(s.PipelineStack, jsii.String("the release parameter and package bucket"))
		packages, repository = s.Pipeline.PackageBucket, s.Pipeline.Repository
	} else {
		stack.AddStackDependency(t.SupportStack, jsii.String("the release parameter"))
		if at.access != nil && at.access.PackageBucket != nil {
			packages = at.access.PackageBucket
		}
		// By ARN (its name is fixed), as at home: alarm actions name the topic.
		topic = awssns.Topic_FromTopicArn(stack, jsii.String("AlarmTopic"), stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("sns"), Resource: jsii.String(feedback.AlarmTopicName), ArnFormat: awscdk.ArnFormat_NO_RESOURCE_NAME,
		}))
		if home.Account != at.Account {
			pipelineAccount = home.Account
		}
		if svc.IsContainer() {
			repository = awsecr.Repository_FromRepositoryArn(stack, jsii.String("Images"), jsii.String(fmt.Sprintf(
				"arn:%s:ecr:%s:%s:repository/%s", spec.Partition(home.Region), home.Region, home.Account, svc.RepositoryName())))
		}
	}
	if svc.IsContainer() {
		out.Container = ecsservice.NewEcsService(stack, "Service", &ecsservice.Props{Service: *svc, Stage: t.Stage, Repository: repository, Topic: topic})
	} else {
		out.Service = lambdaservice.NewLambdaService(stack, "Service", &lambdaservice.Props{Service: *svc, Stage: t.Stage,
			PackageBucket: packages, Topic: topic, PipelineAccount: pipelineAccount})
	}
	return out
}

// stack creates a stack (and records it for the acknowledgements every stack carries).
func (p *plan) stack(app awscdk.App, id, name string, where spec.Target, description string, tags map[string]string) awscdk.Stack {
	t := map[string]*string{}
	for k, v := range tags {
		t[k] = jsii.String(v)
	}
	stack := awscdk.NewStack(app, jsii.String(id), &awscdk.StackProps{
		Env: environment(where), StackName: jsii.String(name), Description: jsii.String(description), Tags: &t,
	})
	p.stacks = append(p.stacks, stack)
	return stack
}

func describeTarget(t *pipeline.Target) string {
	if t.Home {
		return ""
	}
	return ", " + t.Account + "/" + t.Region
}

// sourceDescription says where a service's releases come from, for its pipeline stack's
// description: "CodeCommit orders@main", or "acme/shop@main (services/search) through a
// connection", or its tags.
func sourceDescription(svc *spec.Service) string {
	if !svc.UsesConnection() {
		return fmt.Sprintf("CodeCommit %s@%s", svc.Repository, svc.Branch)
	}
	out := svc.Repository + "@" + svc.Branch
	if len(svc.Source.Tags) > 0 {
		out = svc.Repository + " tags " + strings.Join(svc.Source.Tags, ", ")
	}
	if svc.Source.Folder != "" {
		out += " (" + svc.Source.Folder + ")"
	}
	return out + " through a connection"
}
