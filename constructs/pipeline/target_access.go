package pipeline

import (
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/internal/cdkutil"
	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// TargetAccessProps of a TargetAccess.
type TargetAccessProps struct {
	// Packages: Lambda services deploy here, so the account and region gets a package bucket.
	Packages bool
	// Containers: container services deploy here, so the deploy role may read their task
	// definitions (the prepare step).
	Containers bool
	// StackNames are the service stacks the pipelines update here (<service>-<stage>): the
	// deploy role follows and cancels their updates, and no other stack's. Required.
	StackNames []string
	// LogRetentionDays of the package bucket's access logs. Default: 30.
	LogRetentionDays int
}

// TargetAccess is what an account and region needs to be deployed to by pipelines in another
// account or region: their deploy and prepare steps act through the account's CDK bootstrap
// deploy role (which trusts the pipelines' accounts after `cdk bootstrap --trust`), and this
// policy lets that role do what those steps do, beside what the bootstrap grants it
// (CreateChangeSet, UpdateStack … on every stack).
// It lives in the shared stack of that account and region.
type TargetAccess struct {
	constructs.Construct
	// Policy is attached to the deploy role cdk-<qualifier>-deploy-role-<account>-<region>.
	Policy awsiam.Policy
	// PackageBucket receives the Lambda packages the pipelines copy here (Lambda reads a
	// function's code from a bucket in the function's region); nil without Packages.
	PackageBucket awss3.Bucket
	// PackageBucketParameter names PackageBucket (PackageBucketParameter) for the deploy steps.
	PackageBucketParameter awsssm.StringParameter
}

// NewTargetAccess creates the deploy role's policy, and with Packages the package bucket.
func NewTargetAccess(scope constructs.Construct, id string, props *TargetAccessProps) *TargetAccess {
	a := &TargetAccess{Construct: constructs.NewConstruct(scope, jsii.String(id))}
	cdkutil.LogAccessThroughBucketPolicy(a.Construct)
	stack := awscdk.Stack_Of(scope)
	retention := props.LogRetentionDays
	if retention == 0 {
		retention = spec.DefaultLogRetentionDays
	}
	role := awsiam.Role_FromRoleName(a.Construct, jsii.String("DeployRole"),
		awscdk.Fn_Sub(jsii.String("cdk-"+bootstrapQualifier(stack)+"-deploy-role-${AWS::AccountId}-${AWS::Region}"), nil),
		&awsiam.FromRoleNameOptions{Mutable: jsii.Bool(true)})
	statements := []awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("MoveTheReleases"),
			Actions:   jsii.Strings("ssm:GetParameter", "ssm:PutParameter"),
			Resources: jsii.Strings(*parameterArn(stack, spec.ReleaseParameterPrefix+"*", "", "")),
		}),
		// The bootstrap grants UpdateStack on every stack; the deploy step also reads the
		// stack's events and cancels an update that outlived its time.
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("FollowAndCancelTheUpdates"),
			Actions:   jsii.Strings("cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents", "cloudformation:CancelUpdateStack"),
			Resources: stackArns(stack, props.StackNames),
		}),
		// The pipelines' stage conditions (alarm gate, bake) check the targets' alarms as this
		// role, and a Lambda stack update names them as rollback triggers. Describing a
		// composite alarm needs the action on "*" (CloudWatch User Guide, "CloudWatch
		// permissions reference"); it reads alarm states, no data.
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("CheckTheAlarms"),
			Actions:   jsii.Strings("cloudwatch:DescribeAlarms"),
			Resources: jsii.Strings("*"),
		}),
	}
	if props.Packages {
		statements = append(statements, a.packages(retention)...)
	}
	if props.Containers {
		statements = append(statements, ecsDeployStatements()...)
	}
	a.Policy = awsiam.NewPolicy(a.Construct, jsii.String("Policy"), &awsiam.PolicyProps{
		Roles: &[]awsiam.IRole{role}, Statements: &statements,
	})
	return a
}

// stackArns are the ARNs of the named stacks of the stack's account and region, whatever their
// stack IDs (stack/<name>/*).
func stackArns(stack awscdk.Stack, names []string) *[]*string {
	out := make([]*string, len(names))
	for i, name := range slices.Sorted(slices.Values(names)) {
		out[i] = stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("cloudformation"), Resource: jsii.String("stack"), ResourceName: jsii.String(name + "/*"),
		})
	}
	return &out
}

// packages creates the package bucket, its key and parameter, and returns the statements that
// let the deploy role copy packages into it.
func (a *TargetAccess) packages(retention int) []awsiam.PolicyStatement {
	key := awskms.NewKey(a.Construct, jsii.String("PackagesKey"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the Lambda packages golden pipelines copy into this account and region"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     cdkutil.RetainUnlessCreateFails,
	})
	cdkutil.OnlyAWSServicesCreateGrants(key)
	logs := cdkutil.AccessLogBucket(a.Construct, "AccessLogs", retention)
	a.PackageBucket = cdkutil.PrivateBucket(a.Construct, "Packages", nil, key, logs, cdkutil.PackageLifecycle())
	a.PackageBucketParameter = awsssm.NewStringParameter(a.Construct, jsii.String("PackageBucketName"), &awsssm.StringParameterProps{
		ParameterName: jsii.String(PackageBucketParameter),
		StringValue:   a.PackageBucket.BucketName(),
		Description:   jsii.String("Bucket the golden pipelines copy Lambda packages into, in this account and region"),
	})
	return []awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("CopyThePackages"),
			Actions:   jsii.Strings("s3:GetObject", "s3:PutObject"),
			Resources: jsii.Strings(*a.PackageBucket.ArnForObjects(jsii.String("*"))),
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("EncryptThePackages"),
			Actions:   jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
			Resources: jsii.Strings(*key.KeyArn()),
		}),
	}
}

// ecsDeployStatements let the deploy role read what the prepare step reads: the task
// definition (DescribeTaskDefinition has no resource-level permissions).
func ecsDeployStatements() []awsiam.PolicyStatement {
	return []awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ReadTaskDefinitions"),
		Actions:   jsii.Strings("ecs:DescribeTaskDefinition"),
		Resources: jsii.Strings("*"),
	})}
}
