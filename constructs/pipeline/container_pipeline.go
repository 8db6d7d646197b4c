package pipeline

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipelineactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/internal/cdkutil"
	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// containerBuild creates the image repository, the optional base-image source and the docker
// build project of a container service.
func (p *MicroservicePipeline) containerBuild(svc *spec.Service, logs awslogs.ILogGroup,
	build *awscodepipelineactions.CodeBuildActionProps, sources *[]awscodepipeline.IAction) {
	c := svc.Container
	keep := jsii.Number(float64(c.KeepImages))
	p.Repository = awsecr.NewRepository(p.Construct, jsii.String("Images"), &awsecr.RepositoryProps{
		RepositoryName:     jsii.String(svc.RepositoryName()),
		ImageTagMutability: awsecr.TagMutability_IMMUTABLE,
		ImageScanOnPush:    jsii.Bool(true),
		Encryption:         awsecr.RepositoryEncryption_KMS(),
		EncryptionKey:      p.Key,
		// Named after the service: retained, except when the stack's create fails (a retry
		// would otherwise fail with "already exists").
		RemovalPolicy: cdkutil.RetainUnlessCreateFails,
		// The images released to an environment are tagged deployed-<environment>-<release>.
		// One rule per environment keeps the newest of those, so the image an environment runs
		// is never deleted however many releases another environment got since; an image a
		// rule matched is not looked at by the later rules.
		LifecycleRules: &[]*awsecr.LifecycleRule{
			{RulePriority: jsii.Number(1), Description: jsii.String("keep the newest images released to production"),
				TagStatus: awsecr.TagStatus_TAGGED, TagPrefixList: jsii.Strings("deployed-production-"), MaxImageCount: keep},
			{RulePriority: jsii.Number(2), Description: jsii.String("keep the newest images released to staging"),
				TagStatus: awsecr.TagStatus_TAGGED, TagPrefixList: jsii.Strings("deployed-staging-"), MaxImageCount: keep},
			{RulePriority: jsii.Number(3), Description: jsii.String("keep the newest build images"),
				TagStatus: awsecr.TagStatus_TAGGED, TagPrefixList: jsii.Strings("build-"), MaxImageCount: keep},
			{RulePriority: jsii.Number(4), Description: jsii.String("drop untagged layers of failed pushes"),
				TagStatus: awsecr.TagStatus_UNTAGGED, MaxImageAge: awscdk.Duration_Days(jsii.Number(1))},
		},
	})
	// The pipeline starts an execution as soon as it exists, whose build may push an image
	// before a later resource fails the create: the rollback empties the repository, or could
	// not delete it. RetainExceptOnCreate deletes it only then, so no released image is ever
	// emptied away. (The L2 allows EmptyOnDelete only with RemovalPolicy DESTROY.)
	p.Repository.Node().DefaultChild().(awsecr.CfnRepository).AddPropertyOverride(jsii.String("EmptyOnDelete"), true)
	var baseRepo awsecr.IRepository
	if b := c.BaseImage; b != nil {
		base := awscodepipeline.NewArtifact(jsii.String(BaseImageArtifact), nil)
		baseRepo = awsecr.Repository_FromRepositoryName(p.Construct, jsii.String("BaseImageRepository"), jsii.String(b.Repository))
		*sources = append(*sources, awscodepipelineactions.NewEcrSourceAction(&awscodepipelineactions.EcrSourceActionProps{
			ActionName: jsii.String("BaseImage"),
			Repository: baseRepo,
			ImageTag:   jsii.String(b.Tag),
			Output:     base,
		}))
		build.ExtraInputs = &[]awscodepipeline.Artifact{base}
	}
	p.BuildProject = p.projectWith("Build", svc.Name+"-build", ContainerBuildSpec(*svc).Object(), svc.Build.ComputeType,
		svc.Build.TimeoutMinutes, logs, map[string]*string{"REPOSITORY_URI": p.Repository.RepositoryUri()},
		func(props *awscodebuild.PipelineProjectProps) {
			// Privileged only because docker needs it to build images.
			props.Environment.Privileged = jsii.Bool(true)
			props.Cache = awscodebuild.Cache_Local(awscodebuild.LocalCacheMode_DOCKER_LAYER)
		})
	p.Repository.GrantPullPush(p.BuildProject)
	if baseRepo != nil {
		baseRepo.GrantPull(p.BuildProject) // docker build pulls the base image
	}
	p.Repository.Grant(p.BuildProject, jsii.String("ecr:DescribeImages"))
}

// containerEnvironment creates the prepare project and the actions of one environment: prepare
// the task definition and appspec, then CodeDeployToECS, which waits for the blue/green
// deployment and fails when CodeDeploy rolls back.
func (p *MicroservicePipeline) containerEnvironment(stack awscdk.Stack, svc *spec.Service, env spec.NamedEnvironment, release awscodepipeline.Artifact,
	releaseTag *string, logs awslogs.ILogGroup) (*Environment, []awscodepipeline.IAction) {
	id := stageName(env.Name)
	e := &Environment{Name: env.Name, StackName: svc.StackName(env.Name)}
	taskDefinitionParameter := svc.TaskDefinitionParameterName(env.Name)
	e.PrepareProject = p.project(id+"Prepare", fmt.Sprintf("%s-prepare-%s", svc.Name, env.Name), PrepareSpec().Object(),
		"SMALL", 10, logs, map[string]*string{
			"APPSPEC":                   jsii.String(EnvironmentAppSpec(*svc, *env.Environment)),
			"ENVIRONMENT":               jsii.String(env.Name),
			"STACK_NAME":                jsii.String(e.StackName),
			"PIPELINE_NAME":             jsii.String(svc.Name),
			"CONTAINER_NAME":            jsii.String(spec.ContainerName),
			"TASK_DEFINITION_PARAMETER": jsii.String(taskDefinitionParameter),
			"REPOSITORY_URI":            p.Repository.RepositoryUri(),
		})
	// The step reads the parameter itself (not as a CodeBuild parameter-store variable, which
	// would fail the build before the step could tell that the service stack is not deployed).
	e.PrepareProject.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:     jsii.String("ReadTheTaskDefinitionParameter"),
		Actions: jsii.Strings("ssm:GetParameter"),
		Resources: jsii.Strings(*stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("ssm"), Resource: jsii.String("parameter"), ResourceName: jsii.String(taskDefinitionParameter[1:]),
		})),
	}))
	p.allowStopOwnExecution(stack, svc, e.PrepareProject)
	// DescribeTaskDefinition has no resource-level permissions.
	e.PrepareProject.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("ReadTheTaskDefinition"), Actions: jsii.Strings("ecs:DescribeTaskDefinition"), Resources: jsii.Strings("*"),
	}))
	dg := svc.DeploymentGroupName(env.Name)
	// The deployment config is named too, so that the deploy action may read the one the
	// deployment group really uses (a custom one is named after the deployment group).
	config := spec.EcsConfigPrefix + env.Deployment.Config
	if env.Deployment.Custom != nil {
		config = dg
	}
	e.EcsDeploymentGroup = awscodedeploy.EcsDeploymentGroup_FromEcsDeploymentGroupAttributes(p.Construct, jsii.String(id+"DeploymentGroup"),
		&awscodedeploy.EcsDeploymentGroupAttributes{
			Application:         awscodedeploy.EcsApplication_FromEcsApplicationName(p.Construct, jsii.String(id+"Application"), jsii.String(dg)),
			DeploymentGroupName: jsii.String(dg),
			DeploymentConfig:    awscodedeploy.EcsDeploymentConfig_FromEcsDeploymentConfigName(p.Construct, jsii.String(id+"DeploymentConfig"), jsii.String(config)),
		})
	// After a successful deployment the image is tagged deployed-<environment>-<release>: the
	// repository's lifecycle keeps the newest of those per environment, so failed or
	// rolled-back releases never push the running image out.
	e.RecordProject = p.project(id+"Record", fmt.Sprintf("%s-record-%s", svc.Name, env.Name), RecordReleaseSpec().Object(),
		"SMALL", 10, logs, map[string]*string{"ENVIRONMENT": jsii.String(env.Name), "REPOSITORY_URI": p.Repository.RepositoryUri()})
	p.Repository.Grant(e.RecordProject, jsii.String("ecr:BatchGetImage"), jsii.String("ecr:PutImage"))
	prepared := awscodepipeline.NewArtifact(jsii.String(id+"Deployment"), nil)
	prepare := awscodepipelineactions.NewCodeBuildAction(&awscodepipelineactions.CodeBuildActionProps{
		ActionName: jsii.String("Prepare"), Project: e.PrepareProject, Input: release, RunOrder: jsii.Number(1),
		Outputs:              &[]awscodepipeline.Artifact{prepared},
		EnvironmentVariables: releaseVariables(releaseTag),
	})
	deploy := awscodepipelineactions.NewCodeDeployEcsDeployAction(&awscodepipelineactions.CodeDeployEcsDeployActionProps{
		ActionName: jsii.String("Deploy"), RunOrder: jsii.Number(2),
		DeploymentGroup:             e.EcsDeploymentGroup,
		TaskDefinitionTemplateInput: prepared,
		AppSpecTemplateInput:        prepared,
		ContainerImageInputs: &[]*awscodepipelineactions.CodeDeployEcsContainerImageInput{{
			Input: prepared, TaskDefinitionPlaceholder: jsii.String(ImagePlaceholder),
		}},
	})
	record := releaseAction("RecordRelease", e.RecordProject, prepared, 3, releaseTag)
	return e, []awscodepipeline.IAction{prepare, deploy, record}
}

// imageScan scans the release image with Amazon Inspector: a finding at or above the service's
// threshold fails the action, so the release stops before staging.
func (p *MicroservicePipeline) imageScan(svc *spec.Service, releaseTag *string) awscodepipelineactions.InspectorEcrImageScanAction {
	props := &awscodepipelineactions.InspectorEcrImageScanActionProps{
		ActionName: jsii.String("ImageScan"),
		Repository: p.Repository,
		ImageTag:   releaseTag,
		Output:     awscodepipeline.NewArtifact(jsii.String("ScanReport"), nil),
	}
	// A threshold is the number of findings of that severity the image may have: none at or
	// above the service's threshold, any number below it.
	thresholds := []**float64{&props.CriticalThreshold, &props.HighThreshold, &props.MediumThreshold, &props.LowThreshold}
	for i, severity := range spec.ScanSeverities {
		*thresholds[i] = jsii.Number(0)
		if severity == svc.Container.ScanThreshold {
			break
		}
	}
	p.ImageScan = awscodepipelineactions.NewInspectorEcrImageScanAction(props)
	return p.ImageScan
}
