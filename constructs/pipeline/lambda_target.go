package pipeline

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// PackageBucketParameter is the SSM parameter, in every account and region the pipelines deploy
// to away from home, that names the bucket the Lambda packages are copied to there (the shared
// stack of that account and region creates both).
const PackageBucketParameter = spec.ReleaseParameterPrefix + "package-bucket"

// lambdaTarget creates a Lambda target's parts and returns its actions: deploy, then the
// stage's integration tests (if any).
func (p *MicroservicePipeline) lambdaTarget(t *Target, a artifacts) []awscodepipeline.IAction {
	// The release parameter, and the deployment group imported so that its ARNs name the
	// target's account and region: in the pipeline's scope at home, its support scope away.
	scope := p.Construct
	if !t.Home {
		scope = p.supportAt(t.Account, t.Region).scope
	}
	NewReleaseParameter(scope, t.id+"ReleaseParameter", p.svc, t.Stage)
	t.DeployProject = p.deployProject(t)
	dg := p.svc.DeploymentGroupName(t.Stage)
	t.DeploymentGroup = awscodedeploy.LambdaDeploymentGroup_FromLambdaDeploymentGroupAttributes(scope, jsii.String(t.id+"DeploymentGroup"),
		&awscodedeploy.LambdaDeploymentGroupAttributes{
			Application:         awscodedeploy.LambdaApplication_FromLambdaApplicationName(scope, jsii.String(t.id+"Application"), jsii.String(dg)),
			DeploymentGroupName: jsii.String(dg),
		})
	actions := []awscodepipeline.IAction{releaseAction(t.action("Deploy"), t.DeployProject, a.release, 1, a.releaseTag)}
	return append(actions, p.integrationTest(t, a, 2, nil)...)
}

// deployProject creates the project that releases a build to one target
// (steps/deploy-lambda.sh) and may do exactly what that step does: at home directly, scoped
// to the target's stack, parameter and package; away from home through the target's deploy
// role, which the target's shared stack lets do the same.
func (p *MicroservicePipeline) deployProject(t *Target) awscodebuild.PipelineProject {
	svc := p.svc
	timeout := t.stage.LambdaDeployTimeoutMinutes()
	vars := p.targetVariables(t)
	for k, v := range map[string]*string{
		"SERVICE":           jsii.String(svc.Name),
		"RELEASE_PARAMETER": jsii.String(t.ReleaseParameterName),
		"RELEASE_BUCKET":    p.PackageBucket.BucketName(),
		"TIMEOUT_MINUTES":   jsii.String(fmt.Sprint(timeout)),
		"SETTLE_MINUTES":    jsii.String(fmt.Sprint(spec.DeploySettleMinutes)),
		"BUSY_MINUTES":      jsii.String(fmt.Sprint(spec.DeployBusyMinutes)),
	} {
		vars[k] = v
	}
	if !t.Home {
		vars["PACKAGE_BUCKET_PARAMETER"] = jsii.String(PackageBucketParameter)
	}
	if arn := p.rollbackTrigger(t); arn != nil {
		vars["ROLLBACK_ALARM_ARN"] = arn
		vars["MONITORING_MINUTES"] = jsii.String(fmt.Sprint(t.stage.Bake()))
	}
	project := p.project(t.id+"Deploy", t.project(svc.Name, "deploy"), DeploySpec().Object(),
		"SMALL", spec.DeployBusyMinutes+timeout+spec.DeploySettleMinutes+spec.DeployProjectSlackMinutes, p.Logs, vars)
	p.PackageBucket.GrantRead(project, jsii.String(svc.Name+"/*"))
	p.allowStopOwnExecution(project)
	if t.Home {
		p.allowHomeDeploy(t, project)
	} else {
		p.reachTarget(t, project)
	}
	return project
}

// rollbackTrigger is the ARN of the target's health alarm when its stage bakes and watches its
// targets' alarms: the deploy step's rollback trigger (steps/deploy-lambda.sh); else nil.
func (p *MicroservicePipeline) rollbackTrigger(t *Target) *string {
	if t.stage.Bake() == 0 || !*t.stage.Safety.WatchTargetAlarms {
		return nil
	}
	return p.targetArn(t, &awscdk.ArnComponents{
		Service: jsii.String("cloudwatch"), Resource: jsii.String("alarm"), ResourceName: jsii.String(p.svc.HealthAlarmName(t.Stage)),
		ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
}

// allowHomeDeploy lets a deploy project at home do what its step does, and nothing more.
func (p *MicroservicePipeline) allowHomeDeploy(t *Target, project awscodebuild.PipelineProject) {
	// CloudFormation reads the rollback trigger's state with the caller's credentials (describing
	// a composite alarm needs the action on "*": CloudWatch User Guide, "CloudWatch permissions
	// reference"); the action reads alarm states, no data.
	if p.rollbackTrigger(t) != nil {
		project.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("WatchTheRollbackTrigger"), Actions: jsii.Strings("cloudwatch:DescribeAlarms"), Resources: jsii.Strings("*"),
		}))
	}
	paramArn := parameterArn(p.stack, t.ReleaseParameterName, "", "")
	project.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("MoveTheRelease"),
		Actions:   jsii.Strings("ssm:GetParameter", "ssm:PutParameter"),
		Resources: jsii.Strings(*paramArn),
	}))
	project.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("UpdateTheServiceStack"),
		Actions: jsii.Strings("cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents",
			"cloudformation:UpdateStack", "cloudformation:CancelUpdateStack"),
		Resources: jsii.Strings(*p.stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("cloudformation"), Resource: jsii.String("stack"), ResourceName: jsii.String(t.StackName + "/*"),
		})),
	}))
	// CloudFormation resolves the stack's SSM-typed parameters (the release and the CDK
	// bootstrap version) while updating it.
	project.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ResolveStackParameters"),
		Actions:   jsii.Strings("ssm:GetParameters"),
		Resources: &[]*string{paramArn, parameterArn(p.stack, "/cdk-bootstrap/"+p.bootstrapQualifier(p.stack)+"/version", "", "")},
	}))
	// The update runs as the stack's own CloudFormation role (the CDK bootstrap execution role
	// that `cdk deploy` used); UpdateStack needs to pass it.
	project.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("PassTheStackRole"),
		Actions:   jsii.Strings("iam:PassRole"),
		Resources: jsii.Strings(*cfnExecutionRoleArn(p.bootstrapQualifier(p.stack))),
		Conditions: &map[string]interface{}{
			"StringEquals": map[string]interface{}{"iam:PassedToService": "cloudformation.amazonaws.com"},
		},
	}))
}

// allowStopOwnExecution lets a step stop its pipeline's execution when the service stack it
// deploys to is not deployed yet (steps/not-deployed-yet.sh).
func (p *MicroservicePipeline) allowStopOwnExecution(project awscodebuild.PipelineProject) {
	project.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:     jsii.String("StopBeforeTheServiceStackExists"),
		Actions: jsii.Strings("codepipeline:StopPipelineExecution"),
		Resources: jsii.Strings(*p.stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("codepipeline"), Resource: jsii.String(p.svc.Name),
		})),
	}))
}
