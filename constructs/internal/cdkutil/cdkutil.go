// Package cdkutil holds small helpers the constructs share.
package cdkutil

import (
	"fmt"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"

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
// when it fires. Missing data is not breaching: an idle environment must not block or roll back.
func DeploymentAlarm(scope constructs.Construct, id, name, what string, metric awscloudwatch.IMetric, threshold float64, cmp string, periods int) awscloudwatch.Alarm {
	return awscloudwatch.NewAlarm(scope, jsii.String(id), &awscloudwatch.AlarmProps{
		AlarmName:          jsii.String(name),
		AlarmDescription:   jsii.String(spec.AlarmDescription(name, what, cmp, threshold)),
		Metric:             metric,
		Threshold:          jsii.Number(threshold),
		ComparisonOperator: Comparisons[cmp],
		EvaluationPeriods:  jsii.Number(float64(periods)),
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
}

// LogGroup creates a log group kept for a validated number of days and retained when its stack
// is deleted. name may be nil (a generated name).
func LogGroup(scope constructs.Construct, id string, name *string, retentionDays int) awslogs.LogGroup {
	return awslogs.NewLogGroup(scope, jsii.String(id), &awslogs.LogGroupProps{
		LogGroupName:  name,
		Retention:     Retention(retentionDays),
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
}

// AccessLogBucket creates a bucket that receives access logs (S3 server access logs, load
// balancer logs): S3-managed keys, because log delivery supports no KMS key; SSL only, private,
// logs expiring after retentionDays; retained when its stack is deleted.
func AccessLogBucket(scope constructs.Construct, id string, retentionDays int) awss3.Bucket {
	return awss3.NewBucket(scope, jsii.String(id), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Expiration:                          awscdk.Duration_Days(jsii.Number(float64(retentionDays))),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
		}},
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
}
