package pipeline

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// NewReleaseParameterAccess lets the CDK bootstrap deploy role (the role `cdk deploy` and
// `cdk diff` create change sets with) read the release parameters. CloudFormation resolves a
// stack's SSM-typed parameters with the caller's credentials when it creates a change set, and
// the default bootstrap template lets that role read only its own version parameter, so without
// this a `cdk deploy` of a service stack fails with AccessDenied on ssm:GetParameters.
//
// One policy covers every service (parameter/golden-pipelines/*): a role holds at most 10 KB of
// inline policy, so a policy per service would stop scaling after a few dozen services.
func NewReleaseParameterAccess(scope constructs.Construct, id string) awsiam.Policy {
	stack := awscdk.Stack_Of(scope)
	role := awsiam.Role_FromRoleName(scope, jsii.String(id+"DeployRole"),
		awscdk.Fn_Sub(jsii.String("cdk-"+bootstrapQualifier(stack)+"-deploy-role-${AWS::AccountId}-${AWS::Region}"), nil),
		&awsiam.FromRoleNameOptions{Mutable: jsii.Bool(true)})
	return awsiam.NewPolicy(scope, jsii.String(id), &awsiam.PolicyProps{
		Roles: &[]awsiam.IRole{role},
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:     jsii.String("ResolveReleaseParameters"),
			Actions: jsii.Strings("ssm:GetParameters"),
			Resources: &[]*string{stack.FormatArn(&awscdk.ArnComponents{
				Service: jsii.String("ssm"), Resource: jsii.String("parameter"),
				ResourceName: jsii.String(spec.ReleaseParameterPrefix[1:] + "*"),
			})},
		})},
	})
}
