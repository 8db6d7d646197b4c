// Package cdkutil holds small helpers the constructs share.
package cdkutil

import (
	"fmt"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

var retentions = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
	7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
	150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
	1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
	3653: awslogs.RetentionDays_TEN_YEARS,
}

// Retention maps a validated number of days to the CDK's retention value.
func Retention(days int) awslogs.RetentionDays {
	r, ok := retentions[days]
	if !ok {
		panic(fmt.Sprintf("%d days is not a CloudWatch Logs retention period (spec.Validate rejects it)", days))
	}
	return r
}

// Comparisons maps a definition's comparison to CloudWatch's operator.
var Comparisons = map[string]awscloudwatch.ComparisonOperator{
	">=": awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
	">":  awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
	"<=": awscloudwatch.ComparisonOperator_LESS_THAN_OR_EQUAL_TO_THRESHOLD,
	"<":  awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD,
}

// DeploymentAlarm creates an alarm that guards deployments: CodeDeploy stops and rolls back
// when it fires, and it notifies the topic (if any). Missing data is not breaching unless
// missing says otherwise: an idle environment must not block or roll back.
func DeploymentAlarm(scope constructs.Construct, id, name, what string, metric awscloudwatch.IMetric, threshold float64, cmp string, periods int,
	missing awscloudwatch.TreatMissingData, notify awssns.ITopic) awscloudwatch.Alarm {
	if missing == "" {
		missing = awscloudwatch.TreatMissingData_NOT_BREACHING
	}
	a := awscloudwatch.NewAlarm(scope, jsii.String(id), &awscloudwatch.AlarmProps{
		AlarmName:          jsii.String(name),
		AlarmDescription:   jsii.String(spec.AlarmDescription(name, what, cmp, threshold)),
		Metric:             metric,
		Threshold:          jsii.Number(threshold),
		ComparisonOperator: Comparisons[cmp],
		EvaluationPeriods:  jsii.Number(float64(periods)),
		TreatMissingData:   missing,
	})
	if notify != nil {
		a.AddAlarmAction(awscloudwatchactions.NewSnsAction(notify))
	}
	return a
}

// NotificationTopic is topic when it is set, or else the service's notification topic by name
// (<service>-notifications, which feedback.NewServiceFeedback creates in the pipeline stack, and
// whose policy lets exactly the service's alarms publish): a service stack refers to it as it
// refers to the pipeline's other parts, without a cross-stack reference.
func NotificationTopic(scope constructs.Construct, svc *spec.Service, topic awssns.ITopic) awssns.ITopic {
	if topic != nil {
		return topic
	}
	return awssns.Topic_FromTopicArn(scope, jsii.String("NotificationTopic"), awscdk.Stack_Of(scope).FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("sns"), Resource: jsii.String(svc.NotificationTopicName()),
	}))
}

// RetainUnlessCreateFails is the removal policy of every resource the project retains under a
// name it chooses (log groups, the image repository): CloudFormation's DeletionPolicy
// RetainExceptOnCreate. Such a resource is kept when its stack is updated or deleted, but
// deleted when the stack operation that created it rolls back: "If the stack operation that
// created the resource is rolled back, CloudFormation deletes the resource" (CloudFormation
// User Guide, "DeletionPolicy attribute"). Retain would keep it after a failed first create,
// and every retry would then fail with "already exists".
var RetainUnlessCreateFails = awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE

// LogGroup creates a log group kept for a validated number of days, encrypted with the stack's
// LogsKey, retained when its stack is deleted and deleted when its stack's create fails
// (RetainUnlessCreateFails). name may be nil (a generated name).
func LogGroup(scope constructs.Construct, id string, name *string, retentionDays int) awslogs.LogGroup {
	return awslogs.NewLogGroup(scope, jsii.String(id), &awslogs.LogGroupProps{
		LogGroupName:  name,
		EncryptionKey: LogsKey(scope),
		Retention:     Retention(retentionDays),
		RemovalPolicy: RetainUnlessCreateFails,
	})
}

// AccessLogBucket creates a bucket that receives access logs (S3 server access logs, load
// balancer logs): S3-managed keys, because log delivery supports no KMS key; SSL only, private,
// logs expiring after retentionDays; retained when its stack is deleted (it has a generated
// name, so a retained bucket never stands in the way of a retry, and it may hold logs written
// during a failed create).
func AccessLogBucket(scope constructs.Construct, id string, retentionDays int) awss3.Bucket {
	b := awss3.NewBucket(scope, jsii.String(id), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		// Versioned like every bucket (CT.S3.PR.11): a log object deleted or overwritten by hand
		// stays as a noncurrent version for a day.
		Versioned: jsii.Bool(true),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Expiration:                          awscdk.Duration_Days(jsii.Number(float64(retentionDays))),
			NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(1)),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
		}},
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	EventBridgeNotifications(b)
	return b
}

// EventBridgeNotifications makes S3 send the bucket's object events to the account's default
// EventBridge bus (CT.S3.PR.4: a bucket has event notifications), where a platform team's rules
// can watch, say, for deleted release packages; events nobody's rule matches cost nothing.
// Escape hatch: the L2 prop eventBridgeEnabled sets this through a custom resource and a Lambda
// function of the CDK's (with AWSLambdaBasicExecutionRole and logs kept forever), while the
// CloudFormation property NotificationConfiguration.EventBridgeConfiguration does it natively.
func EventBridgeNotifications(b awss3.Bucket) {
	b.Node().DefaultChild().(awss3.CfnBucket).AddPropertyOverride(
		jsii.String("NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled"), true)
}

// logsKeyID is the ID of each stack's LogsKey, a child of the stack.
const logsKeyID = "LogsKey"

// LogsKey returns the KMS key that encrypts the log groups of scope's stack, created once per
// stack: rotating, and retained with the log groups, which stay readable after the stack is
// deleted only as long as the key exists.
//
// Its key policy lets CloudWatch Logs (the Regional service principal logs.<region>.amazonaws.com)
// use it for the log groups of this account and Region only, through the encryption context
// kms:EncryptionContext:aws:logs:arn, as "Encrypt log data in CloudWatch Logs using AWS Key
// Management Service" (Step 2: Set permissions on the KMS key) documents:
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html. The
// actions are that page's kms:Encrypt*, kms:Decrypt*, kms:ReEncrypt*, kms:GenerateDataKey* and
// kms:Describe*, each spelt out (the golden rule iam-wildcards allows no other wildcards). The
// log groups' own ARNs cannot be named: a log group refers to its key, so the key cannot refer to
// it. Who writes to or reads a log group needs no permission on the key.
func LogsKey(scope constructs.Construct) awskms.IKey {
	stack := awscdk.Stack_Of(scope)
	if existing, ok := stack.Node().TryFindChild(jsii.String(logsKeyID)).(awskms.IKey); ok {
		return existing
	}
	key := awskms.NewKey(stack, jsii.String(logsKeyID), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the CloudWatch Logs log groups of " + *stack.StackName()),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     RetainUnlessCreateFails,
	})
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("CloudWatchLogsEncryptsThisAccountsLogGroups"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(
			awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("logs."), stack.Region(), jsii.String("."), stack.UrlSuffix()}), nil)},
		Actions:   jsii.Strings(LogsKeyActions...),
		Resources: jsii.Strings("*"),
		Conditions: &map[string]interface{}{"ArnLike": map[string]interface{}{
			"kms:EncryptionContext:aws:logs:arn": stack.FormatArn(&awscdk.ArnComponents{
				Service: jsii.String("logs"), Resource: jsii.String("log-group"), ResourceName: jsii.String("*"),
				ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
			}),
		}},
	}), nil)
	OnlyAWSServicesCreateGrants(key)
	return key
}

// LogsKeyActions are what CloudWatch Logs may do with a LogsKey (see LogsKey).
var LogsKeyActions = []string{
	"kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:GenerateDataKeyPair",
	"kms:GenerateDataKeyPairWithoutPlaintext", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey",
}

// OnlyAWSServicesCreateGrants denies kms:CreateGrant on the key to every principal unless the
// grant is for an AWS service's resource (kms:GrantIsForAWSResource: ECR, say, creates a grant
// for an encrypted repository) or the caller is an AWS service (aws:PrincipalIsAWSService), the
// statement Control Tower's CT.KMS.PR.3 requires: a grant would otherwise let whoever may create
// one hand the key's use to another principal, outside the key policy.
// https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource
func OnlyAWSServicesCreateGrants(key awskms.IKey) {
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("OnlyAWSServicesCreateGrants"),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewStarPrincipal()},
		Actions:    jsii.Strings("kms:CreateGrant"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]interface{}{"BoolIfExists": map[string]interface{}{
			"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false",
		}},
	}), nil)
}

// ConsoleHost is the host of the AWS Management Console in the stack's partition
// (console.aws.amazon.com, console.amazonaws.cn, console.amazonaws-us-gov.com), from a mapping
// the stack holds once: links in notifications must open the console of the partition the
// stack is deployed to (AWS General Reference, "AWS Management Console endpoints"; the China
// and GovCloud (US) user guides).
func ConsoleHost(scope constructs.Construct) *string {
	stack := awscdk.Stack_Of(scope)
	const id = "GoldenConsoleHosts"
	mapping, ok := stack.Node().TryFindChild(jsii.String(id)).(awscdk.CfnMapping)
	if !ok {
		mapping = awscdk.NewCfnMapping(stack, jsii.String(id), &awscdk.CfnMappingProps{
			Mapping: &map[string]*map[string]interface{}{
				"aws":        {"Host": "console.aws.amazon.com"},
				"aws-cn":     {"Host": "console.amazonaws.cn"},
				"aws-us-gov": {"Host": "console.amazonaws-us-gov.com"},
			},
		})
	}
	return mapping.FindInMap(awscdk.Aws_PARTITION(), jsii.String("Host"), nil)
}

// LogAccessThroughBucketPolicy makes the buckets created under c (before any of its children)
// log their access through the access-log bucket's policy, not the legacy LogDeliveryWrite
// ACL, which a bucket with ACLs disabled (BucketOwnerEnforced) cannot have, whatever the app's
// feature flags say (@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy).
func LogAccessThroughBucketPolicy(c constructs.Construct) {
	c.Node().SetContext(jsii.String("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"), true)
}

// PrivateBucket creates an encrypted (the key, with an S3 bucket key), SSL-only, private,
// versioned bucket that logs its access to accessLogs (under <id>/), keeps its objects by rule,
// is retained with its stack, and sends its object events to EventBridge. name is its physical
// name: nil for a generated one (awscdk.PhysicalName_GENERATE_IF_NEEDED for one the CDK
// generates when another account or region refers to the bucket).
func PrivateBucket(scope constructs.Construct, id string, name *string, key awskms.IKey, accessLogs awss3.IBucket, rule *awss3.LifecycleRule) awss3.Bucket {
	b := awss3.NewBucket(scope, jsii.String(id), &awss3.BucketProps{
		BucketName:             name,
		Encryption:             awss3.BucketEncryption_KMS,
		EncryptionKey:          key,
		BucketKeyEnabled:       jsii.Bool(true),
		EnforceSSL:             jsii.Bool(true),
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:              jsii.Bool(true),
		LifecycleRules:         &[]*awss3.LifecycleRule{rule},
		RemovalPolicy:          awscdk.RemovalPolicy_RETAIN,
		ServerAccessLogsBucket: accessLogs,
		ServerAccessLogsPrefix: jsii.String(id + "/"),
	})
	EventBridgeNotifications(b)
	return b
}

// PackageLifecycle is the lifecycle of a bucket of release packages: they are kept (they are
// what a target runs, and what a rollback or a configuration change redeploys); objects are
// never overwritten (conditional writes), so noncurrent versions only appear if someone deletes
// one by hand.
func PackageLifecycle() *awss3.LifecycleRule {
	return &awss3.LifecycleRule{
		NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(90)),
		AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
	}
}

// AllowConnection lets a pipeline's source action (stage Source, action Source) use a
// connection named with the codeconnections prefix: the CDK grants
// codestar-connections:UseConnection, and "the service prefix needs to match that of the
// resource" (Developer Tools console User Guide, "Service name change from AWS CodeStar
// Connections to AWS CodeConnections").
func AllowConnection(pipeline awscodepipeline.Pipeline, connection string) {
	if !strings.Contains(connection, ":codeconnections:") {
		return
	}
	role := pipeline.Node().FindChild(jsii.String("Source")).Node().FindChild(jsii.String("Source")).Node().
		FindChild(jsii.String("CodePipelineActionRole")).(awsiam.IRole)
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("UseTheConnection"), Actions: jsii.Strings("codeconnections:UseConnection"), Resources: jsii.Strings(connection),
	}))
}

// ConnectionWebhook makes project (created without a source) a CodeBuild project on a
// repository reached through a CodeConnections connection: the source (sourceType, the HTTPS
// location, auth CODECONNECTIONS, whose resource is the connection: CodeBuild API Reference,
// SourceAuth), reporting the build's result to the provider (ReportBuildStatus), started by the
// provider's webhook for the events the filters match; pull requests from forks wait for a
// maintainer's comment (PullRequestBuildPolicy FORK_PULL_REQUESTS: their code runs with the
// project's role). The role may read the repository through the connection
// ("codeconnections:GetConnectionToken", "codeconnections:GetConnection": CodeBuild User Guide,
// "GitHub App connections"; and UseConnection; the older ARN prefix takes the older action
// prefix) by a policy of its own that the project waits for: creating the project creates the
// webhook through the connection (aws-cdk#31726: "Failed to call CreateWebhook … Access denied
// to connection" when the grant came later). The CDK's sources take no connection (and GitLab
// none at all), so the source is set on the template.
func ConnectionWebhook(project awscodebuild.Project, sourceType, location, connection string, filters []map[string]interface{}) {
	cfn := project.Node().DefaultChild().(awscodebuild.CfnProject)
	cfn.AddPropertyOverride(jsii.String("Source.Type"), sourceType)
	cfn.AddPropertyOverride(jsii.String("Source.Location"), location)
	cfn.AddPropertyOverride(jsii.String("Source.ReportBuildStatus"), true)
	cfn.AddPropertyOverride(jsii.String("Source.Auth"), map[string]interface{}{"Type": "CODECONNECTIONS", "Resource": connection})
	cfn.AddPropertyOverride(jsii.String("Triggers"), map[string]interface{}{
		"Webhook": true, "FilterGroups": []interface{}{filters},
		"PullRequestBuildPolicy": map[string]interface{}{"RequiresCommentApproval": "FORK_PULL_REQUESTS"},
	})
	prefix := "codeconnections"
	if strings.Contains(connection, ":codestar-connections:") {
		prefix = "codestar-connections"
	}
	access := awsiam.NewPolicy(project, jsii.String("ConnectionAccess"), &awsiam.PolicyProps{
		Roles: &[]awsiam.IRole{project.Role()},
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ReadTheRepositoryThroughTheConnection"),
			Actions:   jsii.Strings(prefix+":GetConnectionToken", prefix+":GetConnection", prefix+":UseConnection"),
			Resources: jsii.Strings(connection),
		})},
	})
	cfn.Node().AddDependency(access)
}
