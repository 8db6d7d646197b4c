// Package pipeline holds MicroservicePipeline, the golden release pipeline of one service:
//
//	Source ──► Build ──► Staging ──────────────────► Approval ──► Production
//	CodeCommit  CodeBuild  deploy, then the               manual       deploy (canary/linear,
//	(EventBridge) tests,   integration tests              (optional)   alarm rollback)
//	[+ ECR]     build-<id>
//
// A Lambda service deploys through CloudFormation-driven CodeDeploy (a CodeBuild step updates
// the service stack); a container service through a prepare step, CodeDeployToECS and a
// record step.
package pipeline

import (
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodecommit"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipelineactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/customresources"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/internal/cdkutil"
	"github.com/golden-pipelines/microservice-pipelines/constructs/policy"
	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// Props of a MicroservicePipeline.
type Props struct {
	// Service is the definition, with defaults applied and validated. Required.
	Service spec.Service
	// ArtifactRetentionDays: pipeline artifacts (source zips, release.json) expire after this.
	// Default: 30.
	ArtifactRetentionDays int
}

// MicroservicePipeline is the release pipeline of one service. It deploys to the service
// stacks by name (<service>-staging, <service>-production), so it does not depend on them.
type MicroservicePipeline struct {
	constructs.Construct
	// Pipeline is the CodePipeline (V2), named after the service.
	Pipeline awscodepipeline.Pipeline
	// Key encrypts the artifact and package buckets; it rotates yearly.
	Key awskms.Key
	// ArtifactBucket holds the pipeline's artifacts.
	ArtifactBucket awss3.Bucket
	// PackageBucket (Lambda) holds the release packages, one immutable object per build:
	// <service>/build-<id>.zip.
	PackageBucket awss3.Bucket
	// Repository (containers) holds the release images, one immutable tag per build:
	// build-<id>.
	Repository awsecr.Repository
	// ImageScan (containers) scans the built image with Amazon Inspector and fails the Scan
	// stage, before staging, on findings at or above the service's ScanThreshold.
	ImageScan awscodepipelineactions.InspectorEcrImageScanAction
	// BuildProject runs the unit tests and builds the release package.
	BuildProject awscodebuild.PipelineProject
	// IntegrationTestProject runs the integration tests against staging, or is nil.
	IntegrationTestProject awscodebuild.PipelineProject
	// Environments are the deployment stages in pipeline order.
	Environments []*Environment
	// AccessLogs receives the server access logs of the artifact and package buckets.
	AccessLogs awss3.Bucket

	// qualifier is the pipeline stack's CDK bootstrap qualifier, read from the context once
	// (each read is a round trip to the jsii kernel); see bootstrapQualifier.
	qualifier string
}

// Environment is one deployment stage of the pipeline.
type Environment struct {
	// Name is "staging" or "production".
	Name string
	// StackName is the service stack the stage updates.
	StackName string
	// ReleaseParameterName is the SSM parameter naming the build the environment runs.
	ReleaseParameterName string
	// DeployProject (Lambda) releases a build to the environment and waits for CodeDeploy's
	// outcome.
	DeployProject awscodebuild.PipelineProject
	// DeploymentGroup (Lambda) is the environment's CodeDeploy deployment group (by name; it
	// lives in the service stack).
	DeploymentGroup awscodedeploy.ILambdaDeploymentGroup
	// PrepareProject (containers) renders taskdef.json, appspec.yaml and imageDetail.json for
	// the CodeDeploy action.
	PrepareProject awscodebuild.PipelineProject
	// EcsDeploymentGroup (containers) is the environment's CodeDeploy deployment group, which
	// the CodeDeployToECS action deploys to.
	EcsDeploymentGroup awscodedeploy.IEcsDeploymentGroup
	// RecordProject (containers) tags the released image for the ECR lifecycle policy after a
	// successful deployment.
	RecordProject awscodebuild.PipelineProject
}

// NewMicroservicePipeline creates the pipeline of one service. The service must have been
// through WithDefaults and Validate.
func NewMicroservicePipeline(scope constructs.Construct, id string, props *Props) *MicroservicePipeline {
	svc := props.Service
	retention := props.ArtifactRetentionDays
	if retention == 0 {
		retention = 30
	}
	p := &MicroservicePipeline{Construct: constructs.NewConstruct(scope, jsii.String(id))}
	// The buckets log their access through the access-log bucket's policy (not the legacy
	// LogDeliveryWrite ACL, which a bucket with ACLs disabled cannot have), whatever the app's
	// feature flags say.
	p.Node().SetContext(jsii.String("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"), true)
	stack := awscdk.Stack_Of(scope)

	p.Key = newKey(p.Construct, &svc)
	p.AccessLogs = cdkutil.AccessLogBucket(p.Construct, "AccessLogs", retention)
	p.ArtifactBucket = p.bucket("Artifacts", &awss3.LifecycleRule{
		Expiration:                          awscdk.Duration_Days(jsii.Number(float64(retention))),
		NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(1)),
		AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
	})
	logs := cdkutil.LogGroup(p.Construct, "BuildLogs", nil, svc.LogRetentionDays)

	source := awscodepipeline.NewArtifact(jsii.String("Source"), nil)
	release := awscodepipeline.NewArtifact(jsii.String("Release"), nil)
	sourceAction := awscodepipelineactions.NewCodeCommitSourceAction(&awscodepipelineactions.CodeCommitSourceActionProps{
		ActionName: jsii.String("Source"),
		Repository: awscodecommit.Repository_FromRepositoryName(p.Construct, jsii.String("Repository"), jsii.String(svc.Repository)),
		Branch:     jsii.String(svc.Branch),
		Output:     source,
		// A push starts the pipeline through an EventBridge rule; CodePipeline never polls.
		Trigger: awscodepipelineactions.CodeCommitTrigger_EVENTS,
	})

	sourceActions := []awscodepipeline.IAction{sourceAction}
	buildProps := &awscodepipelineactions.CodeBuildActionProps{
		ActionName:         jsii.String("Build"),
		Input:              source,
		Outputs:            &[]awscodepipeline.Artifact{release},
		VariablesNamespace: jsii.String("Build"),
	}
	if svc.IsContainer() {
		p.containerBuild(&svc, logs, buildProps, &sourceActions)
	} else {
		p.lambdaBuild(&svc, logs)
	}
	buildProps.Project = p.BuildProject
	buildAction := awscodepipelineactions.NewCodeBuildAction(buildProps)
	releaseTag := buildAction.Variable(jsii.String(BuildTagVariable))

	stages := []*awscodepipeline.StageProps{
		{StageName: jsii.String("Source"), Actions: &sourceActions},
		{StageName: jsii.String("Build"), Actions: &[]awscodepipeline.IAction{buildAction}},
	}
	if svc.IsContainer() {
		// The scan action logs to /aws/codepipeline/<pipeline>; created here, it has the
		// service's retention instead of the one CodePipeline would create, kept forever.
		cdkutil.LogGroup(p.Construct, "ActionLogs", jsii.String("/aws/codepipeline/"+svc.Name), svc.LogRetentionDays)
		stages = append(stages, &awscodepipeline.StageProps{
			StageName: jsii.String("Scan"), Actions: &[]awscodepipeline.IAction{p.imageScan(&svc, releaseTag)},
		})
	}
	for _, env := range svc.Environments() {
		var e *Environment
		var actions []awscodepipeline.IAction
		if svc.IsContainer() {
			e, actions = p.containerEnvironment(stack, &svc, env, release, releaseTag, logs)
		} else {
			e = p.environment(stack, &svc, env, logs)
			actions = []awscodepipeline.IAction{releaseAction("Deploy", e.DeployProject, release, 1, releaseTag)}
		}
		p.Environments = append(p.Environments, e)
		if env.Name == "staging" && len(svc.IntegrationTest.Commands) > 0 {
			p.IntegrationTestProject = p.integrationTestProject(stack, &svc, logs)
			actions = append(actions, releaseAction("IntegrationTest", p.IntegrationTestProject, source, float64(len(actions)+1), releaseTag))
		}
		if env.Name == "production" && svc.ApprovalRequired() {
			stages = append(stages, &awscodepipeline.StageProps{
				StageName: jsii.String("Approval"),
				Actions: &[]awscodepipeline.IAction{awscodepipelineactions.NewManualApprovalAction(&awscodepipelineactions.ManualApprovalActionProps{
					ActionName:            jsii.String("PromoteToProduction"),
					AdditionalInformation: jsii.String(fmt.Sprintf("Release %s of %s passed staging. Approve to deploy it to production.", *releaseTag, svc.Name)),
				})},
			})
		}
		stages = append(stages, &awscodepipeline.StageProps{
			StageName: jsii.String(stageName(env.Name)),
			Actions:   &actions,
		})
	}

	p.Pipeline = awscodepipeline.NewPipeline(p.Construct, jsii.String("Pipeline"), &awscodepipeline.PipelineProps{
		PipelineName:             jsii.String(svc.Name),
		PipelineType:             awscodepipeline.PipelineType_V2,
		ArtifactBucket:           p.ArtifactBucket,
		RestartExecutionOnUpdate: jsii.Bool(false),
		// Releases are queued, never superseded mid-deployment: each one reaches production
		// in order or fails visibly.
		ExecutionMode: awscodepipeline.ExecutionMode_QUEUED,
		Stages:        &stages,
	})
	return p
}

// newKey creates the pipeline's key: rotating, retained, and only AWS services may create
// grants for it.
func newKey(scope constructs.Construct, svc *spec.Service) awskms.Key {
	key := awskms.NewKey(scope, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String(fmt.Sprintf("Encrypts the pipeline artifacts and release packages of %s", svc.Name)),
		EnableKeyRotation: jsii.Bool(true),
		// Kept with its stack, but not after a failed create (a key left behind by every
		// failed attempt costs money, though its generated name blocks no retry).
		RemovalPolicy: cdkutil.RetainUnlessCreateFails,
	})
	cdkutil.OnlyAWSServicesCreateGrants(key)
	return key
}

func stageName(env string) string {
	return map[string]string{"staging": "Staging", "production": "Production"}[env]
}

// lambdaBuild creates the package bucket and the build project of a Lambda service.
func (p *MicroservicePipeline) lambdaBuild(svc *spec.Service, logs awslogs.ILogGroup) {
	// Release packages are kept: they are what an environment runs, and what a rollback or a
	// configuration change redeploys. Objects are never overwritten (conditional writes), so
	// noncurrent versions only appear if someone deletes one by hand.
	p.PackageBucket = p.bucket("Packages", &awss3.LifecycleRule{
		NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(90)),
		AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
	})
	p.BuildProject = p.project("Build", svc.Name+"-build", LambdaBuildSpec(*svc).Object(), svc.Build.ComputeType,
		svc.Build.TimeoutMinutes, logs, map[string]*string{"RELEASE_BUCKET": p.PackageBucket.BucketName()})
	p.PackageBucket.GrantPut(p.BuildProject, jsii.String(svc.Name+"/*"))
}

// bucket creates an encrypted, SSL-only, private, versioned bucket that sends its object events
// to EventBridge.
func (p *MicroservicePipeline) bucket(id string, rule *awss3.LifecycleRule) awss3.Bucket {
	b := awss3.NewBucket(p.Construct, jsii.String(id), &awss3.BucketProps{
		Encryption:             awss3.BucketEncryption_KMS,
		EncryptionKey:          p.Key,
		BucketKeyEnabled:       jsii.Bool(true),
		EnforceSSL:             jsii.Bool(true),
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:              jsii.Bool(true),
		LifecycleRules:         &[]*awss3.LifecycleRule{rule},
		RemovalPolicy:          awscdk.RemovalPolicy_RETAIN,
		ServerAccessLogsBucket: p.AccessLogs,
		ServerAccessLogsPrefix: jsii.String(id + "/"),
	})
	cdkutil.EventBridgeNotifications(b)
	return b
}

// project creates a CodeBuild project on the standard image, without privileged mode,
// logging to the pipeline's log group.
func (p *MicroservicePipeline) project(id, name string, buildSpec map[string]interface{}, compute string, timeoutMinutes int,
	logs awslogs.ILogGroup, env map[string]*string) awscodebuild.PipelineProject {
	return p.projectWith(id, name, buildSpec, compute, timeoutMinutes, logs, env, nil)
}

// projectWith creates a CodeBuild project; options (if any) adjust its props, e.g. to make it
// privileged for docker builds.
func (p *MicroservicePipeline) projectWith(id, name string, buildSpec map[string]interface{}, compute string, timeoutMinutes int,
	logs awslogs.ILogGroup, env map[string]*string, options func(*awscodebuild.PipelineProjectProps)) awscodebuild.PipelineProject {
	vars := map[string]*awscodebuild.BuildEnvironmentVariable{}
	for _, k := range slices.Sorted(maps.Keys(env)) {
		vars[k] = &awscodebuild.BuildEnvironmentVariable{Value: env[k]}
	}
	props := &awscodebuild.PipelineProjectProps{
		ProjectName: jsii.String(name),
		BuildSpec:   awscodebuild.BuildSpec_FromObjectToYaml(&buildSpec),
		Environment: &awscodebuild.BuildEnvironment{
			BuildImage:  awscodebuild.LinuxBuildImage_STANDARD_7_0(),
			ComputeType: awscodebuild.ComputeType(compute),
			Privileged:  jsii.Bool(false),
		},
		EnvironmentVariables: &vars,
		EncryptionKey:        p.Key,
		Timeout:              awscdk.Duration_Minutes(jsii.Number(float64(timeoutMinutes))),
		Logging: &awscodebuild.LoggingOptions{CloudWatch: &awscodebuild.CloudWatchLoggingOptions{
			LogGroup: logs, Prefix: jsii.String(name),
		}},
	}
	if options != nil {
		options(props)
	}
	return awscodebuild.NewPipelineProject(p.Construct, jsii.String(id), props)
}

// environment creates the release parameter and the deploy project of one environment.
func (p *MicroservicePipeline) environment(stack awscdk.Stack, svc *spec.Service, env spec.NamedEnvironment, logs awslogs.ILogGroup) *Environment {
	e := &Environment{
		Name:                 env.Name,
		StackName:            svc.StackName(env.Name),
		ReleaseParameterName: svc.ReleaseParameterName(env.Name),
	}
	id := stageName(env.Name)
	paramArn := stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("ssm"), Resource: jsii.String("parameter"),
		ResourceName: jsii.String(e.ReleaseParameterName[1:]),
	})
	// The release parameter must exist before the service stack (which resolves it) is
	// created. It is created once with the bootstrap value and never written by CloudFormation
	// again: only the pipeline moves it, so no later deploy of this stack can reset a release.
	crRole, crLogs, firstInStack := p.customResourceRole(svc)
	customresources.NewAwsCustomResource(p.Construct, jsii.String(id+"ReleaseParameter"), &customresources.AwsCustomResourceProps{
		OnCreate: &customresources.AwsSdkCall{
			Service: jsii.String("SSM"),
			Action:  jsii.String("putParameter"),
			Parameters: map[string]interface{}{
				"Name":        e.ReleaseParameterName,
				"Value":       spec.BootstrapRelease,
				"Type":        "String",
				"Overwrite":   false,
				"Description": fmt.Sprintf("Build that %s runs in %s; written by its pipeline only", svc.Name, env.Name),
			},
			PhysicalResourceId:       customresources.PhysicalResourceId_Of(jsii.String(e.ReleaseParameterName)),
			IgnoreErrorCodesMatching: jsii.String("ParameterAlreadyExists"),
		},
		Policy: customresources.AwsCustomResourcePolicy_FromSdkCalls(&customresources.SdkCallsPolicyOptions{
			Resources: &[]*string{paramArn},
		}),
		InstallLatestAwsSdk: jsii.Bool(false),
		Role:                crRole,
		LogGroup:            crLogs,
	})
	if firstInStack {
		suppressProviderRuntime(stack)
	}

	e.DeployProject = p.deployProject(stack, svc, env, e, paramArn, logs)

	dgName := svc.DeploymentGroupName(env.Name)
	e.DeploymentGroup = awscodedeploy.LambdaDeploymentGroup_FromLambdaDeploymentGroupAttributes(p.Construct, jsii.String(id+"DeploymentGroup"),
		&awscodedeploy.LambdaDeploymentGroupAttributes{
			Application:         awscodedeploy.LambdaApplication_FromLambdaApplicationName(p.Construct, jsii.String(id+"Application"), jsii.String(dgName)),
			DeploymentGroupName: jsii.String(dgName),
		})
	return e
}

// deployProject creates the project that releases a build to one environment
// (steps/deploy-lambda.sh) and may do exactly what that step does.
func (p *MicroservicePipeline) deployProject(stack awscdk.Stack, svc *spec.Service, env spec.NamedEnvironment, e *Environment,
	paramArn *string, logs awslogs.ILogGroup) awscodebuild.PipelineProject {
	timeout := env.LambdaDeployTimeoutMinutes()
	project := p.project(stageName(env.Name)+"Deploy", fmt.Sprintf("%s-deploy-%s", svc.Name, env.Name), DeploySpec().Object(),
		"SMALL", spec.DeployBusyMinutes+timeout+spec.DeploySettleMinutes+spec.DeployProjectSlackMinutes, logs, map[string]*string{
			"SERVICE":           jsii.String(svc.Name),
			"ENVIRONMENT":       jsii.String(env.Name),
			"STACK_NAME":        jsii.String(e.StackName),
			"PIPELINE_NAME":     jsii.String(svc.Name),
			"RELEASE_PARAMETER": jsii.String(e.ReleaseParameterName),
			"RELEASE_BUCKET":    p.PackageBucket.BucketName(),
			"TIMEOUT_MINUTES":   jsii.String(fmt.Sprint(timeout)),
			"SETTLE_MINUTES":    jsii.String(fmt.Sprint(spec.DeploySettleMinutes)),
			"BUSY_MINUTES":      jsii.String(fmt.Sprint(spec.DeployBusyMinutes)),
		})
	p.PackageBucket.GrantRead(project, jsii.String(svc.Name+"/*"))
	project.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("MoveTheRelease"),
		Actions:   jsii.Strings("ssm:GetParameter", "ssm:PutParameter"),
		Resources: jsii.Strings(*paramArn),
	}))
	stackArn := stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("cloudformation"), Resource: jsii.String("stack"),
		ResourceName: jsii.String(e.StackName + "/*"),
	})
	project.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("UpdateTheServiceStack"),
		Actions: jsii.Strings("cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents",
			"cloudformation:UpdateStack", "cloudformation:CancelUpdateStack"),
		Resources: jsii.Strings(*stackArn),
	}))
	// CloudFormation resolves the stack's SSM-typed parameters (the release and the CDK
	// bootstrap version) while updating it.
	project.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:     jsii.String("ResolveStackParameters"),
		Actions: jsii.Strings("ssm:GetParameters"),
		Resources: &[]*string{paramArn, stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("ssm"), Resource: jsii.String("parameter"),
			ResourceName: jsii.String("cdk-bootstrap/" + p.bootstrapQualifier(stack) + "/version"),
		})},
	}))
	// The update runs as the stack's own CloudFormation role (the CDK bootstrap execution role
	// that `cdk deploy` used); UpdateStack needs to pass it.
	project.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("PassTheStackRole"),
		Actions:   jsii.Strings("iam:PassRole"),
		Resources: jsii.Strings(*cfnExecutionRoleArn(p.bootstrapQualifier(stack))),
		Conditions: &map[string]interface{}{
			"StringEquals": map[string]interface{}{"iam:PassedToService": "cloudformation.amazonaws.com"},
		},
	}))
	p.allowStopOwnExecution(stack, svc, project)
	return project
}

// allowStopOwnExecution lets a step stop its pipeline's execution when the service stack it
// deploys to is not deployed yet (steps/not-deployed-yet.sh).
func (p *MicroservicePipeline) allowStopOwnExecution(stack awscdk.Stack, svc *spec.Service, project awscodebuild.PipelineProject) {
	project.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:     jsii.String("StopBeforeTheServiceStackExists"),
		Actions: jsii.Strings("codepipeline:StopPipelineExecution"),
		Resources: jsii.Strings(*stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("codepipeline"), Resource: jsii.String(svc.Name),
		})),
	}))
}

// customResourceRole returns the role and log group of the function behind the release
// parameter custom resources: the function may write its own log group (and, through each
// custom resource's policy, put its parameter), instead of getting AWSLambdaBasicExecutionRole
// and logs kept forever. The CDK creates that function once per stack, so the role and the log
// group are created once per stack too, whatever the number of pipelines in it.
func (p *MicroservicePipeline) customResourceRole(svc *spec.Service) (role awsiam.IRole, logs awslogs.ILogGroup, created bool) {
	stack := awscdk.Stack_Of(p.Construct)
	const id = "GoldenReleaseParameterFunction"
	if existing := stack.Node().TryFindChild(jsii.String(id)); existing != nil {
		return existing.Node().FindChild(jsii.String("Role")).(awsiam.IRole), existing.Node().FindChild(jsii.String("Logs")).(awslogs.ILogGroup), false
	}
	scope := constructs.NewConstruct(stack, jsii.String(id))
	logs = cdkutil.LogGroup(scope, "Logs", nil, svc.LogRetentionDays)
	newRole := awsiam.NewRole(scope, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Creates release parameters once"),
	})
	logs.GrantWrite(newRole)
	return newRole, logs, true
}

// awsCustomResourceProviderID is the ID the CDK gives the one function per stack behind every
// AwsCustomResource (customresources.AwsCustomResource's singleton).
const awsCustomResourceProviderID = "AWS679f53fac002430cb0da5b7982bd2287"

// suppressProviderRuntime acknowledges cdk-nag's AwsSolutions-L1 on the CDK's own provider
// function: its runtime is the one the CDK version ships it with (nodejs24.x in 2.277.0, while
// the CDK already lists nodejs26.x), chosen and updated by the CDK, not by this project.
func suppressProviderRuntime(stack awscdk.Stack) {
	provider := stack.Node().TryFindChild(jsii.String(awsCustomResourceProviderID))
	if provider == nil {
		panic("the CDK no longer names its AwsCustomResource provider " + awsCustomResourceProviderID)
	}
	policy.Suppress(provider, "AwsSolutions-L1",
		"the CDK's own AwsCustomResource provider: the CDK picks and updates its runtime with each CDK release, and the function only creates the release parameters once")
}

// releaseAction runs a CodeBuild project on behalf of one release: RELEASE is the build tag.
func releaseAction(name string, project awscodebuild.IProject, input awscodepipeline.Artifact, runOrder float64, releaseTag *string) awscodepipeline.IAction {
	return awscodepipelineactions.NewCodeBuildAction(&awscodepipelineactions.CodeBuildActionProps{
		ActionName:           jsii.String(name),
		Project:              project,
		Input:                input,
		RunOrder:             jsii.Number(runOrder),
		EnvironmentVariables: releaseVariables(releaseTag),
	})
}

// releaseVariables are what the pipeline tells every step that acts on a release: RELEASE, the
// build tag, and PIPELINE_EXECUTION_ID, the execution the step runs in (a step may stop it:
// steps/not-deployed-yet.sh).
func releaseVariables(releaseTag *string) *map[string]*awscodebuild.BuildEnvironmentVariable {
	return &map[string]*awscodebuild.BuildEnvironmentVariable{
		"RELEASE":               {Value: releaseTag},
		"PIPELINE_EXECUTION_ID": {Value: jsii.String("#{codepipeline.PipelineExecutionId}")},
	}
}

// integrationTestProject creates the project that tests staging; it may invoke only the
// staging live alias.
func (p *MicroservicePipeline) integrationTestProject(stack awscdk.Stack, svc *spec.Service, logs awslogs.ILogGroup) awscodebuild.PipelineProject {
	if svc.IsContainer() {
		// The tests reach staging through its load balancer; the URL comes from the service
		// stack's SSM parameter when the build starts.
		return p.projectWith("IntegrationTest", svc.Name+"-integration-test", IntegrationTestSpec(*svc).Object(),
			"SMALL", svc.IntegrationTest.TimeoutMinutes, logs, nil, func(props *awscodebuild.PipelineProjectProps) {
				(*props.EnvironmentVariables)["SERVICE_URL"] = &awscodebuild.BuildEnvironmentVariable{
					Type: awscodebuild.BuildEnvironmentVariableType_PARAMETER_STORE, Value: jsii.String(svc.URLParameterName("staging")),
				}
			})
	}
	fnArn := stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("lambda"), Resource: jsii.String("function"),
		ResourceName: jsii.String(svc.FunctionName("staging") + ":" + spec.LiveAlias),
		ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
	project := p.project("IntegrationTest", svc.Name+"-integration-test", IntegrationTestSpec(*svc).Object(),
		"SMALL", svc.IntegrationTest.TimeoutMinutes, logs, map[string]*string{
			"FUNCTION_NAME":  jsii.String(svc.FunctionName("staging")),
			"FUNCTION_ALIAS": jsii.String(spec.LiveAlias),
			"FUNCTION_ARN":   fnArn,
		})
	project.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("InvokeStaging"),
		Actions:   jsii.Strings("lambda:InvokeFunction"),
		Resources: jsii.Strings(*fnArn),
	}))
	return project
}

// cfnExecutionRoleArn is the CDK bootstrap's CloudFormation execution role for a bootstrap
// qualifier.
func cfnExecutionRoleArn(qualifier string) *string {
	return awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-"+qualifier+"-cfn-exec-role-${AWS::AccountId}-${AWS::Region}"), nil)
}

// bootstrapQualifier is the pipeline stack's CDK bootstrap qualifier, read once.
func (p *MicroservicePipeline) bootstrapQualifier(stack awscdk.Stack) string {
	if p.qualifier == "" {
		p.qualifier = bootstrapQualifier(stack)
	}
	return p.qualifier
}

// bootstrapQualifier is the CDK bootstrap qualifier the stack is deployed with (context
// @aws-cdk/core:bootstrapQualifier, default hnb659fds).
func bootstrapQualifier(stack awscdk.Stack) string {
	if q, ok := stack.Node().TryGetContext(jsii.String("@aws-cdk/core:bootstrapQualifier")).(string); ok && q != "" {
		return q
	}
	return "hnb659fds"
}
