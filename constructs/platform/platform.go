// Package platform is the platform pipeline: the golden-pipelines repository released by a
// pipeline of its own, which updates itself first (as CDK Pipelines' self-mutation does),
// assesses the change, waits for a person when it widens permissions or touches many
// pipelines, then deploys the shared stacks and the services' pipeline stacks in waves. It never
// deploys a service stack: those stay released by their own pipelines (no reverts).
package platform

import (
	"embed"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipelineactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/buildspec"
	"github.com/golden-pipelines/microservice-pipelines/constructs/internal/cdkutil"
)

// The platform's steps are the .sh files of steps/, carried as the pipeline's are.
//
//go:embed steps/*.sh
var stepFiles embed.FS

func step(name string) []string { return buildspec.Step(stepFiles, name) }

// StackName is the platform pipeline's stack.
const StackName = "golden-pipelines-platform"

// PipelineName is the platform pipeline.
const PipelineName = "golden-pipelines-platform"

// Wave is a set of the services' pipeline stacks (and their support stacks) deployed together.
type Wave struct {
	// Name of the wave, e.g. "canary", "rest": it names the pipeline stage (Deploy-<name>).
	Name string
	// Stacks are the stack IDs the wave deploys.
	Stacks []string
}

// Props of a PlatformPipeline.
type Props struct {
	// Connection (a CodeConnections connection ARN), Repository (owner/name) and Branch of the
	// golden-pipelines repository. Required (Branch default "main").
	Connection, Repository, Branch string
	// CLIVersion is the CDK CLI version the steps install (the one package.json pins). Required.
	CLIVersion string
	// SharedStacks are the shared stacks' IDs, deployed before any pipeline.
	SharedStacks []string
	// Waves of the services' pipeline stacks, in order.
	Waves []Wave
	// ApprovalAbove: a change of more pipeline stacks than this waits for a person. Default 10.
	ApprovalAbove int
	// Qualifier of the CDK bootstrap the steps deploy through. Default: hnb659fds.
	Qualifier string
	// LogRetentionDays of the steps' logs. Default 30.
	LogRetentionDays int
	// PullRequests: pull requests to the branch get a check (synth and the diff of every stack,
	// reported on the pull request); SourceType and Location name the repository for CodeBuild
	// (spec.Providers, the HTTPS clone URL).
	PullRequests         bool
	SourceType, Location string
	// PullRequestEvents are the webhook's pull-request events (spec.PullRequestEvents).
	PullRequestEvents string
}

// PlatformPipeline is the platform pipeline and its parts.
type PlatformPipeline struct {
	constructs.Construct
	// Pipeline is the platform pipeline (PipelineName).
	Pipeline awscodepipeline.Pipeline
	// Synth, UpdatePipeline, Assess, DeployShared and DeployWaves run its stages' steps.
	Synth, UpdatePipeline, Assess, DeployShared awscodebuild.PipelineProject
	DeployWaves                                 []awscodebuild.PipelineProject
	// PullRequestProject checks the repository's pull requests (Props.PullRequests), or is nil.
	PullRequestProject awscodebuild.Project
	// Key encrypts the artifacts and logs; ArtifactBucket holds the artifacts, AccessLogs their
	// access logs; Logs the steps' logs.
	Key                        awskms.Key
	ArtifactBucket, AccessLogs awss3.Bucket
	Logs                       awslogs.LogGroup

	props            Props
	source, assembly awscodepipeline.Artifact
	pipelineStacks   []string
}

// NewPlatformPipeline creates the platform pipeline: Source, Synth, Assess, Approve (skipped
// unless the assessment asks for it), UpdatePipeline (itself, before anything else is
// deployed), Deploy-shared, then a stage per wave.
func NewPlatformPipeline(scope constructs.Construct, id string, props *Props) *PlatformPipeline {
	p := &PlatformPipeline{Construct: constructs.NewConstruct(scope, jsii.String(id)), props: *props}
	if p.props.Branch == "" {
		p.props.Branch = "main"
	}
	if p.props.ApprovalAbove == 0 {
		p.props.ApprovalAbove = 10
	}
	if p.props.Qualifier == "" {
		p.props.Qualifier = "hnb659fds"
	}
	if p.props.LogRetentionDays == 0 {
		p.props.LogRetentionDays = 30
	}
	for _, w := range p.props.Waves {
		for _, s := range w.Stacks {
			if strings.HasSuffix(s, "-pipeline") {
				p.pipelineStacks = append(p.pipelineStacks, s)
			}
		}
	}
	cdkutil.LogAccessThroughBucketPolicy(p.Construct)
	p.Key = awskms.NewKey(p.Construct, jsii.String("Key"), &awskms.KeyProps{
		Description: jsii.String("Encrypts the platform pipeline's artifacts and logs"), EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy: cdkutil.RetainUnlessCreateFails,
	})
	cdkutil.OnlyAWSServicesCreateGrants(p.Key)
	p.AccessLogs = cdkutil.AccessLogBucket(p.Construct, "AccessLogs", p.props.LogRetentionDays)
	p.ArtifactBucket = cdkutil.PrivateBucket(p.Construct, "Artifacts", nil, p.Key, p.AccessLogs, &awss3.LifecycleRule{
		Expiration:                          awscdk.Duration_Days(jsii.Number(float64(p.props.LogRetentionDays))),
		NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(1)),
		AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
	})
	p.Logs = cdkutil.LogGroup(p.Construct, "Logs", nil, p.props.LogRetentionDays)
	p.source = awscodepipeline.NewArtifact(jsii.String("Source"), nil)
	p.assembly = awscodepipeline.NewArtifact(jsii.String("CloudAssembly"), nil)
	source := awscodepipelineactions.NewCodeStarConnectionsSourceAction(&awscodepipelineactions.CodeStarConnectionsSourceActionProps{
		ActionName: jsii.String("Source"), ConnectionArn: jsii.String(p.props.Connection),
		Owner: jsii.String(strings.SplitN(p.props.Repository, "/", 2)[0]), Repo: jsii.String(strings.SplitN(p.props.Repository, "/", 2)[1]),
		Branch: jsii.String(p.props.Branch), Output: p.source, TriggerOnPush: jsii.Bool(false),
	})
	stages := []*awscodepipeline.StageProps{
		{StageName: jsii.String("Source"), Actions: &[]awscodepipeline.IAction{source}},
		p.synthStage(), p.assessStage(), p.approvalStage(), p.updateStage(),
	}
	if len(p.props.SharedStacks) > 0 {
		stages = append(stages, p.deployStage("Deploy-shared", "DeployShared", p.props.SharedStacks, &p.DeployShared))
	}
	for _, w := range p.props.Waves {
		if len(w.Stacks) == 0 {
			continue
		}
		var project awscodebuild.PipelineProject
		stages = append(stages, p.deployStage("Deploy-"+w.Name, "Deploy"+capitalize(w.Name), w.Stacks, &project))
		p.DeployWaves = append(p.DeployWaves, project)
	}
	p.Pipeline = awscodepipeline.NewPipeline(p.Construct, jsii.String("Pipeline"), &awscodepipeline.PipelineProps{
		PipelineName: jsii.String(PipelineName), PipelineType: awscodepipeline.PipelineType_V2,
		ArtifactBucket: p.ArtifactBucket, Stages: &stages,
		// The pipeline updates itself in its UpdatePipeline stage (after the assessment and its
		// approval); an update of the pipeline cancels the running execution ("Cancelled: The
		// pipeline's definition was updated before the pipeline execution could be completed",
		// CodePipeline API Reference, PipelineExecution) and CloudFormation starts one on the
		// new definition (as CDK Pipelines' self-mutation does). Superseded mode, as CDK
		// Pipelines': the newest push wins, and a queue of executions is never cancelled by
		// another's update.
		RestartExecutionOnUpdate: jsii.Bool(true),
		ExecutionMode:            awscodepipeline.ExecutionMode_SUPERSEDED,
		Triggers: &[]*awscodepipeline.TriggerProps{{
			ProviderType: awscodepipeline.ProviderType_CODE_STAR_SOURCE_CONNECTION,
			GitConfiguration: &awscodepipeline.GitConfiguration{SourceAction: source,
				PushFilter: &[]*awscodepipeline.GitPushFilter{{BranchesIncludes: jsii.Strings(p.props.Branch)}}},
		}},
	})
	p.pullRequestCheck()
	cdkutil.AllowConnection(p.Pipeline, p.props.Connection)
	return p
}

// pullRequestCheck creates the repository's pull-request check: the synth (steps/synth.sh) and
// the diff of every stack (steps/diff.sh), reported on the pull request, nothing deployed.
func (p *PlatformPipeline) pullRequestCheck() {
	if !p.props.PullRequests {
		return
	}
	name := PipelineName + "-pull-requests"
	bs := buildspec.Spec{
		Install: buildspec.Phase{RuntimeVersions: map[string]string{"nodejs": "22", "golang": "1.22"}},
		Build:   buildspec.Phase{Script: append(step("synth"), step("diff")...)},
	}.Object()
	project := awscodebuild.NewProject(p.Construct, jsii.String("PullRequests"), &awscodebuild.ProjectProps{
		ProjectName: jsii.String(name),
		BuildSpec:   awscodebuild.BuildSpec_FromObjectToYaml(&bs),
		Environment: &awscodebuild.BuildEnvironment{
			BuildImage: awscodebuild.LinuxBuildImage_STANDARD_7_0(), ComputeType: awscodebuild.ComputeType_MEDIUM, Privileged: jsii.Bool(false),
		},
		EncryptionKey: p.Key,
		Timeout:       awscdk.Duration_Minutes(jsii.Number(60)),
		Logging: &awscodebuild.LoggingOptions{CloudWatch: &awscodebuild.CloudWatchLoggingOptions{
			LogGroup: p.Logs, Prefix: jsii.String(name),
		}},
	})
	cdkutil.ConnectionWebhook(project, p.props.SourceType, p.props.Location, p.props.Connection, []map[string]interface{}{
		{"Type": "EVENT", "Pattern": p.props.PullRequestEvents},
		{"Type": "BASE_REF", "Pattern": "^refs/heads/" + regexp.QuoteMeta(p.props.Branch) + "$"},
	})
	p.PullRequestProject = project
	p.allowBootstrapRoles(project, "lookup")
}

// project creates one step's CodeBuild project: the standard image, the pinned CLI installed
// where it deploys, logs in the platform's log group.
func (p *PlatformPipeline) project(id, name string, spec buildspec.Spec, vars map[string]string, compute awscodebuild.ComputeType) awscodebuild.PipelineProject {
	env := map[string]*awscodebuild.BuildEnvironmentVariable{}
	for k, v := range vars {
		env[k] = &awscodebuild.BuildEnvironmentVariable{Value: jsii.String(v)}
	}
	obj := spec.Object()
	return awscodebuild.NewPipelineProject(p.Construct, jsii.String(id), &awscodebuild.PipelineProjectProps{
		ProjectName: jsii.String(name),
		BuildSpec:   awscodebuild.BuildSpec_FromObjectToYaml(&obj),
		Environment: &awscodebuild.BuildEnvironment{
			BuildImage: awscodebuild.LinuxBuildImage_STANDARD_7_0(), ComputeType: compute, Privileged: jsii.Bool(false),
		},
		EnvironmentVariables: &env,
		EncryptionKey:        p.Key,
		Timeout:              awscdk.Duration_Minutes(jsii.Number(60)),
		Logging: &awscodebuild.LoggingOptions{CloudWatch: &awscodebuild.CloudWatchLoggingOptions{
			LogGroup: p.Logs, Prefix: jsii.String(name),
		}},
	})
}

// cliInstall installs the pinned CDK CLI (the steps after Synth have only the assembly).
func (p *PlatformPipeline) cliInstall() buildspec.Phase {
	return buildspec.Phase{
		RuntimeVersions: map[string]string{"nodejs": "22"},
		Script:          []string{`npm install --global "aws-cdk@$CDK_CLI_VERSION"`},
	}
}

// synthStage synthesizes and checks the app (steps/synth.sh); Go's toolchain directive fetches
// the Go version go.mod names ("GOTOOLCHAIN=auto", the default of the go command since 1.21).
func (p *PlatformPipeline) synthStage() *awscodepipeline.StageProps {
	p.Synth = p.project("Synth", PipelineName+"-synth", buildspec.Spec{
		Install:   buildspec.Phase{RuntimeVersions: map[string]string{"nodejs": "22", "golang": "1.22"}},
		Build:     buildspec.Phase{Script: step("synth")},
		Artifacts: &buildspec.Artifacts{BaseDirectory: "cdk.out", Files: []string{"**/*"}},
	}, nil, awscodebuild.ComputeType_MEDIUM)
	return &awscodepipeline.StageProps{StageName: jsii.String("Synth"), Actions: &[]awscodepipeline.IAction{
		awscodepipelineactions.NewCodeBuildAction(&awscodepipelineactions.CodeBuildActionProps{
			ActionName: jsii.String("Synth"), Project: p.Synth, Input: p.source, Outputs: &[]awscodepipeline.Artifact{p.assembly},
		}),
	}}
}

// updateStage deploys the platform pipeline's own stack before anything else: a change to the
// pipeline runs on the changed pipeline (and a change to its own permissions was assessed and,
// if it widens them, approved first).
func (p *PlatformPipeline) updateStage() *awscodepipeline.StageProps {
	return p.deployStage("UpdatePipeline", "UpdatePipeline", []string{StackName}, &p.UpdatePipeline)
}

// assessStage prints the diff of every stack the pipeline deploys and decides whether a person
// approves it (steps/assess.sh), exporting NEEDS_APPROVAL, BROADENING and CHANGED_STACKS.
func (p *PlatformPipeline) assessStage() *awscodepipeline.StageProps {
	all := append(append([]string{StackName}, p.props.SharedStacks...), p.waveStacks()...)
	p.Assess = p.project("Assess", PipelineName+"-assess", buildspec.Spec{
		ExportedVariables: []string{"NEEDS_APPROVAL", "BROADENING", "CHANGED_STACKS"},
		Install:           p.cliInstall(),
		Build:             buildspec.Phase{Script: step("assess")},
		PostBuild: buildspec.Phase{Setup: []string{
			`export NEEDS_APPROVAL="$(cat needs-approval)"`, `export BROADENING="$(cat broadening)"`, `export CHANGED_STACKS="$(cat changed-stacks)"`,
		}},
	}, map[string]string{
		"CDK_CLI_VERSION": p.props.CLIVersion, "STACKS": strings.Join(all, "\n"), "PIPELINE_STACKS": strings.Join(p.pipelineStacks, "\n"),
		"APPROVAL_ABOVE": fmt.Sprint(p.props.ApprovalAbove),
	}, awscodebuild.ComputeType_SMALL)
	p.allowBootstrapRoles(p.Assess, "lookup")
	return &awscodepipeline.StageProps{StageName: jsii.String("Assess"), Actions: &[]awscodepipeline.IAction{
		awscodepipelineactions.NewCodeBuildAction(&awscodepipelineactions.CodeBuildActionProps{
			ActionName: jsii.String("Assess"), Project: p.Assess, Input: p.assembly, VariablesNamespace: jsii.String("Assess"),
		}),
	}}
}

// approvalStage waits for a person when the assessment asks for it; otherwise its entry
// condition skips it: a VariableCheck rule that holds when NEEDS_APPROVAL is "true" lets the
// stage start, and SKIP is the result when it does not hold ("For Entry conditions that use the
// Skip result, only the LambdaInvoke and VariableCheck rules are supported", CodePipeline User
// Guide, "Configure conditions for a stage").
func (p *PlatformPipeline) approvalStage() *awscodepipeline.StageProps {
	return &awscodepipeline.StageProps{
		StageName: jsii.String("Approve"),
		Actions: &[]awscodepipeline.IAction{awscodepipelineactions.NewManualApprovalAction(&awscodepipelineactions.ManualApprovalActionProps{
			ActionName: jsii.String("Approve"),
			AdditionalInformation: jsii.String(fmt.Sprintf("Permissions widened: #{Assess.BROADENING}; pipeline stacks changed: #{Assess.CHANGED_STACKS} (approval above %d). "+
				"Read the Assess step's log for the diff, then approve or reject.", p.props.ApprovalAbove)),
		})},
		BeforeEntry: &awscodepipeline.Conditions{Conditions: &[]*awscodepipeline.Condition{{
			Result: awscodepipeline.Result_SKIP,
			Rules: &[]awscodepipeline.Rule{awscodepipeline.NewRule(&awscodepipeline.RuleProps{
				Name: jsii.String("NeedsApproval"), Provider: jsii.String("VariableCheck"), Version: jsii.String("1"),
				Configuration: &map[string]interface{}{"Variable": "#{Assess.NEEDS_APPROVAL}", "Value": "true", "Operator": "EQ"},
			})},
		}}},
	}
}

// deployStage deploys stacks of the assembly (steps/deploy.sh), each only.
func (p *PlatformPipeline) deployStage(stage, id string, stacks []string, out *awscodebuild.PipelineProject) *awscodepipeline.StageProps {
	*out = p.project(id, PipelineName+"-"+strings.ToLower(stage), buildspec.Spec{
		Install: p.cliInstall(),
		Build:   buildspec.Phase{Script: step("deploy")},
	}, map[string]string{"CDK_CLI_VERSION": p.props.CLIVersion, "STACKS": strings.Join(stacks, "\n")}, awscodebuild.ComputeType_SMALL)
	p.allowBootstrapRoles(*out, "deploy", "file-publishing", "image-publishing", "lookup")
	return &awscodepipeline.StageProps{StageName: jsii.String(stage), Actions: &[]awscodepipeline.IAction{
		awscodepipelineactions.NewCodeBuildAction(&awscodepipelineactions.CodeBuildActionProps{
			ActionName: jsii.String("Deploy"), Project: *out, Input: p.assembly,
		}),
	}}
}

func (p *PlatformPipeline) waveStacks() []string {
	var out []string
	for _, w := range p.props.Waves {
		out = append(out, w.Stacks...)
	}
	return out
}

// allowBootstrapRoles lets a step that runs the CDK CLI against the app's accounts assume the
// CDK bootstrap roles of the kinds it needs there (which trust the platform account after `cdk
// bootstrap --trust <platform account>`): the deploy steps deploy and publish, the assessment
// and the pull-request check only read templates (the lookup role, `cdk diff --method
// template`). The tag condition is how CDK Pipelines scopes the same grant (aws-cdk-lib
// pipelines, "aws-cdk:bootstrap-role").
func (p *PlatformPipeline) allowBootstrapRoles(project awscodebuild.IProject, kinds ...string) {
	stack := awscdk.Stack_Of(p.Construct)
	project.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("UseTheCdkBootstrapRoles"),
		Actions:   jsii.Strings("sts:AssumeRole"),
		Resources: jsii.Strings(fmt.Sprintf("arn:%s:iam::*:role/cdk-%s-*", *stack.Partition(), p.props.Qualifier)),
		Conditions: &map[string]interface{}{"ForAnyValue:StringEquals": map[string]interface{}{
			"iam:ResourceTag/aws-cdk:bootstrap-role": kinds,
		}},
	}))
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
