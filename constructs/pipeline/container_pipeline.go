package pipeline

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipelineactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/internal/cdkutil"
	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// containerBuild creates the image repository, the optional base-image source and the docker
// build project of a container service.
func (p *MicroservicePipeline) containerBuild(build *awscodepipelineactions.CodeBuildActionProps, sources *[]awscodepipeline.IAction) {
	svc, logs := p.svc, p.Logs
	c := svc.Container
	p.Repository = awsecr.NewRepository(p.Construct, jsii.String("Images"), &awsecr.RepositoryProps{
		RepositoryName:     jsii.String(svc.RepositoryName()),
		ImageTagMutability: awsecr.TagMutability_IMMUTABLE,
		ImageScanOnPush:    jsii.Bool(true),
		Encryption:         awsecr.RepositoryEncryption_KMS(),
		EncryptionKey:      p.Key,
		// Named after the service: retained, except when the stack's create fails (a retry
		// would otherwise fail with "already exists").
		RemovalPolicy:  cdkutil.RetainUnlessCreateFails,
		LifecycleRules: p.lifecycleRules(),
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
	p.allowTargetAccountsToPull()
}

// lifecycleRules keep what the targets run. The images released to a target are tagged
// deployed-<target tag>-<release> (Target.Tag: the stage, with the target's suffix in a stage
// of several targets). One rule per target, the last stages first, keeps the newest keepImages
// of those, so the image a target runs is never deleted however many releases another target
// got since (an image a rule matched is not looked at by the later rules); then the newest
// build images, then untagged layers go after a day. ECR allows 50 rules a policy
// (https://docs.aws.amazon.com/AmazonECR/latest/userguide/service-quotas.html), which
// validation keeps the targets within.
func (p *MicroservicePipeline) lifecycleRules() *[]*awsecr.LifecycleRule {
	keep := jsii.Number(float64(p.svc.Container.KeepImages))
	var rules []*awsecr.LifecycleRule
	for i := len(p.svc.Stages) - 1; i >= 0; i-- {
		st := &p.svc.Stages[i]
		for _, target := range st.AllTargets() {
			tag := st.TargetTag(target)
			rules = append(rules, &awsecr.LifecycleRule{RulePriority: jsii.Number(float64(len(rules) + 1)),
				Description: jsii.String("keep the newest images released to " + tag), TagStatus: awsecr.TagStatus_TAGGED,
				TagPrefixList: jsii.Strings("deployed-" + tag + "-"), MaxImageCount: keep})
		}
	}
	rules = append(rules,
		&awsecr.LifecycleRule{RulePriority: jsii.Number(float64(len(rules) + 1)), Description: jsii.String("keep the newest build images"),
			TagStatus: awsecr.TagStatus_TAGGED, TagPrefixList: jsii.Strings("build-"), MaxImageCount: keep},
		&awsecr.LifecycleRule{RulePriority: jsii.Number(float64(len(rules) + 2)), Description: jsii.String("drop untagged layers of failed pushes"),
			TagStatus: awsecr.TagStatus_UNTAGGED, MaxImageAge: awscdk.Duration_Days(jsii.Number(1))})
	return &rules
}

// allowTargetAccountsToPull lets the targets in other accounts pull the release images: the
// repository's policy names each account (an ECS task's execution role there needs its own
// permission too, which the service stack gives it). Targets in other regions pull across
// regions: one repository, one immutable tag and one lifecycle for every target, at the price
// of cross-region transfer and of depending on the home region when a task starts (see
// docs/stages.md).
func (p *MicroservicePipeline) allowTargetAccountsToPull() {
	home := envPart(p.stack.Account())
	seen := map[string]bool{}
	for _, st := range p.svc.Stages {
		for _, t := range st.AllTargets() {
			if t.Account == "" || t.Account == home || seen[t.Account] {
				continue
			}
			seen[t.Account] = true
			p.Repository.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:        jsii.String("TargetAccount" + t.Account + "Pulls"),
				Principals: &[]awsiam.IPrincipal{awsiam.NewAccountPrincipal(jsii.String(t.Account))},
				Actions:    jsii.Strings("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"),
			}))
			// ECR decrypts the layers with its grant on the key; the account may use the key
			// through ECR too, should the pull need it.
			p.Key.GrantDecrypt(awsiam.NewAccountPrincipal(jsii.String(t.Account)))
		}
	}
}

// containerTarget creates a container target's parts and returns its actions: prepare the
// task definition and appspec, then CodeDeployToECS, which waits for the blue/green deployment
// and fails when CodeDeploy rolls back, then record the release, then the stage's integration
// tests (if any).
func (p *MicroservicePipeline) containerTarget(t *Target, a artifacts) []awscodepipeline.IAction {
	t.PrepareProject = p.prepareProject(t)
	scope := p.Construct
	if !t.Home {
		scope = p.supportAt(t.Account, t.Region).scope
	}
	var config string
	t.EcsDeploymentGroup, config = p.importEcsDeploymentGroup(scope, t)
	// After a successful deployment the image is tagged deployed-<target tag>-<release>: the
	// repository's lifecycle keeps the newest of those per target, so failed or rolled-back
	// releases never push the running image out.
	t.RecordProject = p.project(t.id+"Record", t.project(p.svc.Name, "record"), RecordReleaseSpec().Object(),
		"SMALL", 10, p.Logs, map[string]*string{"TARGET_TAG": jsii.String(t.Tag()), "REPOSITORY_URI": p.Repository.RepositoryUri()})
	p.Repository.Grant(t.RecordProject, jsii.String("ecr:BatchGetImage"), jsii.String("ecr:PutImage"))
	prepared := awscodepipeline.NewArtifact(jsii.String(t.id+"Deployment"), nil)
	prepare := awscodepipelineactions.NewCodeBuildAction(&awscodepipelineactions.CodeBuildActionProps{
		ActionName: jsii.String(t.action("Prepare")), Project: t.PrepareProject, Input: a.release, RunOrder: jsii.Number(1),
		Outputs: &[]awscodepipeline.Artifact{prepared}, EnvironmentVariables: releaseVariables(a.releaseTag),
		VariablesNamespace: jsii.String(t.id + "Prepare"),
	})
	deployProps := &awscodepipelineactions.CodeDeployEcsDeployActionProps{
		ActionName: jsii.String(t.action("Deploy")), RunOrder: jsii.Number(2),
		DeploymentGroup:             t.EcsDeploymentGroup,
		TaskDefinitionTemplateInput: prepared,
		AppSpecTemplateInput:        prepared,
		ContainerImageInputs: &[]*awscodepipelineactions.CodeDeployEcsContainerImageInput{{
			Input: prepared, TaskDefinitionPlaceholder: jsii.String(ImagePlaceholder),
		}},
	}
	// In another region CodePipeline runs the action there, on the artifacts replicated to
	// that region's store (artifactStore); in another account through a role there.
	if t.Account != p.home.Account {
		deployProps.Role = p.ecsDeployRole(t, p.supportAt(t.Account, t.Region), config)
	}
	actions := []awscodepipeline.IAction{prepare, awscodepipelineactions.NewCodeDeployEcsDeployAction(deployProps),
		releaseAction(t.action("RecordRelease"), t.RecordProject, prepared, 3, a.releaseTag)}
	return append(actions, p.integrationTest(t, a, 4, prepare.Variable(jsii.String("SERVICE_URL")))...)
}

// prepareProject creates the project of the prepare step (steps/prepare-ecs.sh).
func (p *MicroservicePipeline) prepareProject(t *Target) awscodebuild.PipelineProject {
	svc := p.svc
	taskDefinitionParameter := svc.TaskDefinitionParameterName(t.Stage)
	vars := p.targetVariables(t)
	for k, v := range map[string]*string{
		"APPSPEC":                   jsii.String(StageAppSpec(*svc, *t.stage)),
		"CONTAINER_NAME":            jsii.String(spec.ContainerName),
		"TASK_DEFINITION_PARAMETER": jsii.String(taskDefinitionParameter),
		"URL_PARAMETER":             jsii.String(svc.URLParameterName(t.Stage)),
		"REPOSITORY_URI":            p.Repository.RepositoryUri(),
	} {
		vars[k] = v
	}
	project := p.project(t.id+"Prepare", t.project(svc.Name, "prepare"), PrepareSpec().Object(), "SMALL", 10, p.Logs, vars)
	p.allowStopOwnExecution(project)
	if !t.Home {
		p.reachTarget(t, project)
		return project
	}
	// The step reads the parameters itself (not as CodeBuild parameter-store variables, which
	// would fail the build before the step could tell that the service stack is not deployed).
	project.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ReadTheServiceStacksParameters"),
		Actions:   jsii.Strings("ssm:GetParameter"),
		Resources: &[]*string{parameterArn(p.stack, taskDefinitionParameter, "", ""), parameterArn(p.stack, svc.URLParameterName(t.Stage), "", "")},
	}))
	// DescribeTaskDefinition has no resource-level permissions.
	project.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("ReadTheTaskDefinition"), Actions: jsii.Strings("ecs:DescribeTaskDefinition"), Resources: jsii.Strings("*"),
	}))
	return project
}

// imageScan scans the release image with Amazon Inspector: a finding at or above the service's
// threshold fails the action, so the release stops before any target.
func (p *MicroservicePipeline) imageScan(releaseTag *string) awscodepipelineactions.InspectorEcrImageScanAction {
	svc := p.svc
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
