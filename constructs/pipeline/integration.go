package pipeline

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipelineactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// integrationTest creates the project that runs the stage's integration tests against one
// target, and returns its action (none when the stage has no tests). A Lambda target's tests
// may invoke only the target's live alias (FUNCTION_ARN; in another account the service stack
// lets the pipeline's account invoke it); a container target's tests get the stage's URL
// (SERVICE_URL), which the prepare step exported (variables: its namespace's variables).
func (p *MicroservicePipeline) integrationTest(t *Target, a artifacts, runOrder float64,
	url *string) []awscodepipeline.IAction {
	test := t.stage.IntegrationTest
	if len(test.Commands) == 0 {
		return nil
	}
	vars := map[string]*string{"STAGE": jsii.String(t.Stage), "TARGET_REGION": jsii.String(t.Region)}
	if t.Region == "" {
		vars["TARGET_REGION"] = p.stack.Region()
	}
	var fnArn *string
	if !p.svc.IsContainer() {
		fnArn = p.targetArn(t, &awscdk.ArnComponents{
			Service: jsii.String("lambda"), Resource: jsii.String("function"),
			ResourceName: jsii.String(p.svc.FunctionName(t.Stage) + ":" + spec.LiveAlias),
			ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
		})
		vars["FUNCTION_NAME"], vars["FUNCTION_ALIAS"], vars["FUNCTION_ARN"] = jsii.String(p.svc.FunctionName(t.Stage)), jsii.String(spec.LiveAlias), fnArn
	}
	t.IntegrationTestProject = p.project(t.id+"IntegrationTest", t.project(p.svc.Name, "integration-test"), IntegrationTestSpec(*p.svc, test).Object(),
		"SMALL", test.TimeoutMinutes, p.Logs, vars)
	if fnArn != nil {
		t.IntegrationTestProject.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("InvokeTheTarget"),
			Actions:   jsii.Strings("lambda:InvokeFunction"),
			Resources: jsii.Strings(*fnArn),
		}))
	}
	env := releaseVariables(a.releaseTag)
	if url != nil {
		(*env)["SERVICE_URL"] = &awscodebuild.BuildEnvironmentVariable{Value: url}
	}
	return []awscodepipeline.IAction{awscodepipelineactions.NewCodeBuildAction(&awscodepipelineactions.CodeBuildActionProps{
		ActionName: jsii.String(t.action("IntegrationTest")), Project: t.IntegrationTestProject, Input: a.source,
		RunOrder: jsii.Number(runOrder), EnvironmentVariables: env,
	})}
}
