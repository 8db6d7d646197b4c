package pipeline

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/customresources"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/internal/cdkutil"
	"github.com/golden-pipelines/microservice-pipelines/constructs/policy"
	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// NewReleaseParameter creates the SSM parameter a stage's service stack reads its release from,
// in scope's stack, which must be in the target's account and region (the pipeline stack at
// home, a support stack elsewhere): the parameter must exist before the service stack that
// resolves it is created. It is created once with the bootstrap value and never written by
// CloudFormation again (a custom resource with a create call only, which ignores
// ParameterAlreadyExists): only the pipeline moves it, so no later deploy of this stack can
// reset a release.
func NewReleaseParameter(scope constructs.Construct, id string, svc *spec.Service, stage string) customresources.AwsCustomResource {
	stack := awscdk.Stack_Of(scope)
	name := svc.ReleaseParameterName(stage)
	role, logs, firstInStack := customResourceRole(stack, svc.LogRetentionDays)
	cr := customresources.NewAwsCustomResource(scope, jsii.String(id), &customresources.AwsCustomResourceProps{
		OnCreate: &customresources.AwsSdkCall{
			Service: jsii.String("SSM"),
			Action:  jsii.String("putParameter"),
			Parameters: map[string]interface{}{
				"Name":        name,
				"Value":       spec.BootstrapRelease,
				"Type":        "String",
				"Overwrite":   false,
				"Description": fmt.Sprintf("Build that %s runs in %s; written by its pipeline only", svc.Name, stage),
			},
			PhysicalResourceId:       customresources.PhysicalResourceId_Of(jsii.String(name)),
			IgnoreErrorCodesMatching: jsii.String("ParameterAlreadyExists"),
		},
		Policy: customresources.AwsCustomResourcePolicy_FromSdkCalls(&customresources.SdkCallsPolicyOptions{
			Resources: &[]*string{parameterArn(stack, name, "", "")},
		}),
		InstallLatestAwsSdk: jsii.Bool(false),
		Role:                role,
		LogGroup:            logs,
	})
	if firstInStack {
		suppressProviderRuntime(stack)
	}
	return cr
}

// parameterArn is the ARN of an SSM parameter (a name starting with '/') in an account and
// region ("": the stack's).
func parameterArn(stack awscdk.Stack, name, account, region string) *string {
	return stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("ssm"), Resource: jsii.String("parameter"), ResourceName: jsii.String(name[1:]),
		Account: optional(account), Region: optional(region),
	})
}

// optional is nil for "" (a stack's own account or region in FormatArn).
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return jsii.String(s)
}

// customResourceRole returns the role and log group of the function behind the release
// parameter custom resources: the function may write its own log group (and, through each
// custom resource's policy, put its parameter), instead of getting AWSLambdaBasicExecutionRole
// and logs kept forever. The CDK creates that function once per stack, so the role and the log
// group are created once per stack too, whatever the number of parameters in it.
func customResourceRole(stack awscdk.Stack, retentionDays int) (role awsiam.IRole, logs awslogs.ILogGroup, created bool) {
	const id = "GoldenReleaseParameterFunction"
	if existing := stack.Node().TryFindChild(jsii.String(id)); existing != nil {
		return existing.Node().FindChild(jsii.String("Role")).(awsiam.IRole), existing.Node().FindChild(jsii.String("Logs")).(awslogs.ILogGroup), false
	}
	scope := constructs.NewConstruct(stack, jsii.String(id))
	logs = cdkutil.LogGroup(scope, "Logs", nil, retentionDays)
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
