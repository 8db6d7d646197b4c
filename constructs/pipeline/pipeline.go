// Package pipeline holds MicroservicePipeline, the golden release pipeline of one service:
//
//	Source ──► Build ──► [Scan] ──► <stage> … ──► [Approve<stage>] ──► <stage>[-<wave>] …
//	CodeCommit  CodeBuild  Inspector  each stage a list of waves, each wave its targets
//	[+ ECR]     build-<id>            (account, region) deployed in parallel, then tested
//
// A Lambda service deploys through CloudFormation-driven CodeDeploy (a CodeBuild step updates
// the service stack); a container service through a prepare step, CodeDeployToECS and a
// record step. A target in another account or region is reached through its CDK bootstrap
// deploy role.
package pipeline

import (
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipelineactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/internal/cdkutil"
	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// Props of a MicroservicePipeline.
type Props struct {
	// Service is the definition, with defaults applied and validated. Required.
	Service spec.Service
	// ArtifactRetentionDays: pipeline artifacts (source zips, release.json) expire after this.
	// Default: 30.
	ArtifactRetentionDays int
	// Support gives the pipeline a scope in each account and region away from home it needs
	// one in (SupportScope). Default: DefaultSupportScope.
	Support SupportScope
}

// MicroservicePipeline is the release pipeline of one service. It deploys to the service
// stacks by name (<service>-<stage> in each target's account and region), so it does not
// depend on them.
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
	// stage, before any target, on findings at or above the service's ScanThreshold.
	ImageScan awscodepipelineactions.InspectorEcrImageScanAction
	// BuildProject runs the unit tests and builds the release package.
	BuildProject awscodebuild.PipelineProject
	// PullRequestProject checks the repository's pull requests (source.pullRequests), or is nil.
	PullRequestProject awscodebuild.Project
	// Targets are the deployment targets in release order: stage by stage, wave by wave.
	Targets []*Target
	// AccessLogs receives the server access logs of the artifact and package buckets.
	AccessLogs awss3.Bucket
	// Logs receives the logs of every CodeBuild project of the pipeline.
	Logs awslogs.ILogGroup
	// SupportStacks are the stacks the pipeline keeps parts in away from home (SupportScope),
	// in the order it first needed them; the pipeline stack depends on each.
	SupportStacks []awscdk.Stack

	svc   *spec.Service
	stack awscdk.Stack
	// home is the pipeline stack's account and region ("" parts when environment-agnostic).
	home         spec.Target
	retention    int
	supportScope SupportScope
	supports     map[spec.Target]*support
	// watchesAlarmsAtHome: a stage condition checks alarms in the pipeline's account and region;
	// ruleRoles are the condition rules that check them elsewhere (stageConditions).
	watchesAlarmsAtHome bool
	ruleRoles           []ruleRole
	// source is the pipeline's source action (sourceAction).
	source awscodepipeline.IAction
	// qualifier is the pipeline stack's CDK bootstrap qualifier, read from the context once
	// (each read is a round trip to the jsii kernel); see bootstrapQualifier.
	qualifier string
}

// NewMicroservicePipeline creates the pipeline of one service. It applies the service's defaults
// and validates it: a bad definition, or targets in named accounts or regions under a stack
// whose own are not known, fails the synthesis with every problem on this construct's path
// (and nothing is built).
func NewMicroservicePipeline(scope constructs.Construct, id string, props *Props) *MicroservicePipeline {
	p := &MicroservicePipeline{Construct: constructs.NewConstruct(scope, jsii.String(id)), stack: awscdk.Stack_Of(scope), supports: map[spec.Target]*support{}}
	if props == nil {
		cdkutil.Invalid(p.Construct, "props: missing; fix: pass &pipeline.Props{Service}")
		return p
	}
	svc, _, ok := cdkutil.ServiceFor(p.Construct, props.Service, cdkutil.AnyService, "")
	p.home = spec.Target{Account: envPart(p.stack.Account()), Region: envPart(p.stack.Region())}
	if ok && (p.home.Account == "" || p.home.Region == "") {
		if i, where := svc.NamedTarget(); i >= 0 {
			cdkutil.Invalid(p.Construct, fmt.Sprintf("service %q: %s: deploys to %s, but the pipeline stack's account and region are not known; fix: give the stack an env with both (awscdk.StackProps.Env), e.g. the service's home", svc.Name, svc.StageField(i), where))
			ok = false
		}
	}
	if !ok {
		return p
	}
	retention := props.ArtifactRetentionDays
	if retention == 0 {
		retention = 30
	}
	p.svc, p.retention, p.supportScope = &svc, retention, props.Support
	if p.supportScope == nil {
		p.supportScope = DefaultSupportScope(p.stack, svc.Name)
	}
	cdkutil.LogAccessThroughBucketPolicy(p.Construct)
	p.Key = newKey(p.Construct, &svc)
	p.AccessLogs = cdkutil.AccessLogBucket(p.Construct, "AccessLogs", retention)
	// Named by the CDK when a target's action role in another account must name it (only then:
	// a pipeline that stays home keeps its generated name).
	p.ArtifactBucket = p.bucket("Artifacts", awscdk.PhysicalName_GENERATE_IF_NEEDED(), p.artifactLifecycle())
	p.Logs = cdkutil.LogGroup(p.Construct, "BuildLogs", nil, svc.LogRetentionDays)
	stages, a := p.sourceAndBuild()
	stages = append(stages, p.releaseStages(a)...)
	artifactBucket, stores := p.artifactStores()
	p.Pipeline = awscodepipeline.NewPipeline(p.Construct, jsii.String("Pipeline"), &awscodepipeline.PipelineProps{
		PipelineName:             jsii.String(svc.Name),
		PipelineType:             awscodepipeline.PipelineType_V2,
		RestartExecutionOnUpdate: jsii.Bool(false),
		// Releases are queued, never superseded mid-deployment: each one reaches production
		// in order or fails visibly.
		ExecutionMode:                 awscodepipeline.ExecutionMode_QUEUED,
		Stages:                        &stages,
		Triggers:                      p.sourceTriggers(p.source),
		ArtifactBucket:                artifactBucket,
		CrossRegionReplicationBuckets: stores,
	})
	p.allowConditions(stages)
	p.allowConnection()
	p.pullRequestCheck()
	if p.awayInAnotherAccount() {
		// Roles in other accounts use the key by its alias (ecsDeployRole).
		awskms.NewAlias(p.Construct, jsii.String("KeyAlias"), &awskms.AliasProps{AliasName: jsii.String(KeyAlias(&svc)), TargetKey: p.Key})
	}
	return p
}

// artifactLifecycle is the lifecycle of the artifact stores: artifacts expire after the
// retention, their noncurrent versions after a day.
func (p *MicroservicePipeline) artifactLifecycle() *awss3.LifecycleRule {
	return &awss3.LifecycleRule{
		Expiration:                          awscdk.Duration_Days(jsii.Number(float64(p.retention))),
		NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(1)),
		AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
	}
}

// artifacts are what the release stages read: the source, the build's release artifact and the
// release tag the build exported.
type artifacts struct {
	source, release awscodepipeline.Artifact
	releaseTag      *string
}

// sourceAndBuild creates the source actions, the build project and the scan, and returns their
// pipeline stages.
func (p *MicroservicePipeline) sourceAndBuild() ([]*awscodepipeline.StageProps, artifacts) {
	svc := p.svc
	a := artifacts{source: awscodepipeline.NewArtifact(jsii.String("Source"), nil), release: awscodepipeline.NewArtifact(jsii.String("Release"), nil)}
	p.source = p.sourceAction(a.source)
	sourceActions := []awscodepipeline.IAction{p.source}
	buildProps := &awscodepipelineactions.CodeBuildActionProps{
		ActionName:         jsii.String("Build"),
		Input:              a.source,
		Outputs:            &[]awscodepipeline.Artifact{a.release},
		VariablesNamespace: jsii.String("Build"),
	}
	if svc.IsContainer() {
		p.containerBuild(buildProps, &sourceActions)
	} else {
		p.lambdaBuild()
	}
	buildProps.Project = p.BuildProject
	buildAction := awscodepipelineactions.NewCodeBuildAction(buildProps)
	a.releaseTag = buildAction.Variable(jsii.String(BuildTagVariable))
	stages := []*awscodepipeline.StageProps{
		{StageName: jsii.String("Source"), Actions: &sourceActions},
		{StageName: jsii.String("Build"), Actions: &[]awscodepipeline.IAction{buildAction}},
	}
	if svc.IsContainer() {
		// The scan action logs to /aws/codepipeline/<pipeline>; created here, it has the
		// service's retention instead of the one CodePipeline would create, kept forever.
		cdkutil.LogGroup(p.Construct, "ActionLogs", jsii.String("/aws/codepipeline/"+svc.Name), svc.LogRetentionDays)
		stages = append(stages, &awscodepipeline.StageProps{
			StageName: jsii.String("Scan"), Actions: &[]awscodepipeline.IAction{p.imageScan(a.releaseTag)},
		})
	}
	return stages, a
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

// lambdaBuild creates the package bucket and the build project of a Lambda service.
func (p *MicroservicePipeline) lambdaBuild() {
	svc, logs := p.svc, p.Logs
	p.PackageBucket = p.bucket("Packages", nil, cdkutil.PackageLifecycle())
	p.BuildProject = p.project("Build", svc.Name+"-build", LambdaBuildSpec(*svc).Object(), svc.Build.ComputeType,
		svc.Build.TimeoutMinutes, logs, map[string]*string{"RELEASE_BUCKET": p.PackageBucket.BucketName()})
	p.PackageBucket.GrantPut(p.BuildProject, jsii.String(svc.Name+"/*"))
}

// bucket creates one of the pipeline's buckets (cdkutil.PrivateBucket with the pipeline's key).
func (p *MicroservicePipeline) bucket(id string, name *string, rule *awss3.LifecycleRule) awss3.Bucket {
	return cdkutil.PrivateBucket(p.Construct, id, name, p.Key, p.AccessLogs, rule)
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
