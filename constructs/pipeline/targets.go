package pipeline

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipelineactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// Target is one deployment target of the pipeline: a stage's service stack in one account and
// region.
type Target struct {
	// Stage is the stage's name, Role its role, Wave the wave's name.
	Stage, Role, Wave string
	// Account and Region of the target; "" for the pipeline's own in an environment-agnostic
	// app.
	Account, Region string
	// Home: the target is in the pipeline's own account and region.
	Home bool
	// Suffix tells the target from the other targets of its stage ("" when it is the only one):
	// it ends the names of its actions, projects and stack ID.
	Suffix string
	// StackName is the service stack the target updates: <service>-<stage>, in the target's
	// account and region.
	StackName string
	// ReleaseParameterName is the SSM parameter naming the build the target runs.
	ReleaseParameterName string
	// SupportStack (away from home) is the pipeline's support stack in the target's account
	// and region (SupportScope); the target's service stack must depend on it, for the
	// release parameter it holds. nil at home.
	SupportStack awscdk.Stack
	// DeployProject (Lambda) releases a build to the target and waits for CodeDeploy's outcome.
	DeployProject awscodebuild.PipelineProject
	// DeploymentGroup (Lambda) is the target's CodeDeploy deployment group (by name; it lives
	// in the service stack).
	DeploymentGroup awscodedeploy.ILambdaDeploymentGroup
	// PrepareProject (containers) renders taskdef.json, appspec.yaml and imageDetail.json for
	// the CodeDeploy action.
	PrepareProject awscodebuild.PipelineProject
	// EcsDeploymentGroup (containers) is the target's CodeDeploy deployment group, which the
	// CodeDeployToECS action deploys to.
	EcsDeploymentGroup awscodedeploy.IEcsDeploymentGroup
	// RecordProject (containers) tags the released image for the ECR lifecycle policy after a
	// successful deployment.
	RecordProject awscodebuild.PipelineProject
	// IntegrationTestProject runs the stage's integration tests against the target, or is nil.
	IntegrationTestProject awscodebuild.PipelineProject

	stage  *spec.Stage
	target spec.Target // as the stage lists it
	// id starts the construct IDs of the target's parts: the stage capitalized, then the
	// suffix (StagingDeploy, ProductionEuWest1Deploy).
	id string
}

// action names one of the target's actions: the kind, then the suffix of a stage's target.
func (t *Target) action(kind string) string {
	if t.Suffix == "" {
		return kind
	}
	return kind + "-" + t.Suffix
}

// project names one of the target's CodeBuild projects: <service>-<kind>-<stage>[-<suffix>].
func (t *Target) project(service, kind string) string {
	name := fmt.Sprintf("%s-%s-%s", service, kind, t.Stage)
	if t.Suffix != "" {
		name += "-" + t.Suffix
	}
	return name
}

// Tag names the target among all the service's (spec.Stage.TargetTag): its released images
// are tagged deployed-<Tag>-<release>.
func (t *Target) Tag() string { return t.stage.TargetTag(t.target) }

// Spec is the stage of the definition the target belongs to, and the target as the stage lists
// it (its account and region "" when left to the pipeline's home).
func (t *Target) Spec() (*spec.Stage, spec.Target) { return t.stage, t.target }

// releaseStages creates the pipeline stages of the release: for each stage its approval (if
// any), then a pipeline stage per wave, each holding its targets' actions.
func (p *MicroservicePipeline) releaseStages(a artifacts) []*awscodepipeline.StageProps {
	var out []*awscodepipeline.StageProps
	for i := range p.svc.Stages {
		st := &p.svc.Stages[i]
		if st.ApprovalRequired() {
			out = append(out, p.approval(st, i, a.releaseTag))
		}
		names := st.PipelineStageNames()
		for w, wave := range st.WaveList() {
			var actions []awscodepipeline.IAction
			var targets []*Target
			for _, target := range wave.Targets {
				t := p.newTarget(st, wave.Name, target)
				p.Targets = append(p.Targets, t)
				targets = append(targets, t)
				if p.svc.IsContainer() {
					actions = append(actions, p.containerTarget(t, a)...)
				} else {
					actions = append(actions, p.lambdaTarget(t, a)...)
				}
			}
			props := &awscodepipeline.StageProps{StageName: jsii.String(names[w]), Actions: &actions}
			p.stageConditions(props, st, targets)
			out = append(out, props)
		}
	}
	return out
}

// approval is the manual approval stage before a stage.
func (p *MicroservicePipeline) approval(st *spec.Stage, index int, releaseTag *string) *awscodepipeline.StageProps {
	passed := "was built"
	if index > 0 {
		passed = "passed " + p.svc.Stages[index-1].Name
	}
	return &awscodepipeline.StageProps{
		StageName: jsii.String(st.ApprovalStageName()),
		Actions: &[]awscodepipeline.IAction{awscodepipelineactions.NewManualApprovalAction(&awscodepipelineactions.ManualApprovalActionProps{
			ActionName:            jsii.String("PromoteTo" + capitalize(st.Name)),
			AdditionalInformation: jsii.String(fmt.Sprintf("Release %s of %s %s. Approve to deploy it to %s.", *releaseTag, p.svc.Name, passed, st.Name)),
		})},
	}
}

// newTarget resolves a stage's target against the pipeline's home (its stack's account and
// region) and names it.
func (p *MicroservicePipeline) newTarget(st *spec.Stage, wave string, target spec.Target) *Target {
	resolved := target.Resolve(p.home)
	t := &Target{
		Stage: st.Name, Role: st.Role, Wave: wave, Account: resolved.Account, Region: resolved.Region,
		Home:                 resolved == p.home,
		Suffix:               st.TargetSuffix(target),
		StackName:            p.svc.StackName(st.Name),
		ReleaseParameterName: p.svc.ReleaseParameterName(st.Name),
		stage:                st,
		target:               target,
	}
	t.id = capitalize(st.Name) + camel(t.Suffix)
	if !t.Home {
		t.SupportStack = p.supportAt(t.Account, t.Region).stack
	}
	return t
}

// envPart is a stack's account or region, or "" when it is a token (an environment-agnostic
// stack).
func envPart(v *string) string {
	if v == nil || *awscdk.Token_IsUnresolved(v) {
		return ""
	}
	return *v
}

// crossAccount reports whether a target is in another account than the pipeline.
func (p *MicroservicePipeline) awayInAnotherAccount() bool {
	for _, t := range p.Targets {
		if t.Account != p.home.Account {
			return true
		}
	}
	return false
}

// deployRoleArn is the CDK bootstrap deploy role of a target's account and region, through
// which the pipeline reaches a target away from home (it trusts the pipeline's account after
// `cdk bootstrap --trust <pipeline account>`).
func (p *MicroservicePipeline) deployRoleArn(t *Target) string {
	return fmt.Sprintf("arn:%s:iam::%s:role/cdk-%s-deploy-role-%s-%s", *p.stack.Partition(), t.Account, p.bootstrapQualifier(p.stack), t.Account, t.Region)
}

// reachTarget lets a project reach a target away from home through the target's deploy role
// (target-session.sh) and returns the project variables that name it; at home it adds nothing.
func (p *MicroservicePipeline) reachTarget(t *Target, project awscodebuild.PipelineProject) {
	if t.Home {
		return
	}
	project.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ReachTheTarget"),
		Actions:   jsii.Strings("sts:AssumeRole"),
		Resources: jsii.Strings(p.deployRoleArn(t)),
	}))
}

// targetVariables are the variables every step that acts on a target gets: its stage, role and
// stack, and how to reach it (empty at home).
func (p *MicroservicePipeline) targetVariables(t *Target) map[string]*string {
	vars := map[string]*string{
		"STAGE":         jsii.String(t.Stage),
		"TARGET_ROLE":   jsii.String(t.Role),
		"STACK_NAME":    jsii.String(t.StackName),
		"PIPELINE_NAME": jsii.String(p.svc.Name),
	}
	if !t.Home {
		vars["TARGET_ROLE_ARN"] = jsii.String(p.deployRoleArn(t))
		vars["TARGET_REGION"] = jsii.String(t.Region)
	}
	return vars
}

// targetArn is the ARN of a resource in the target's account and region.
func (p *MicroservicePipeline) targetArn(t *Target, c *awscdk.ArnComponents) *string {
	c.Account, c.Region = optional(t.Account), optional(t.Region)
	if t.Home {
		c.Account, c.Region = nil, nil
	}
	return p.stack.FormatArn(c)
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

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// camel joins the hyphenated parts of s, each capitalized: eu-west-1 is EuWest1.
func camel(s string) string {
	var b strings.Builder
	for _, part := range strings.Split(s, "-") {
		b.WriteString(capitalize(part))
	}
	return b.String()
}
