// Package baseline declares, with raw CDK L2 calls and nothing of this project (no spec
// defaults, no validation, no buildspec package, no constructs), the same stacks and the same
// resources the project creates for a service: the benchmark's yardstick for the project's own
// overhead. Every value comes explicitly from Service; nothing is defaulted or checked.
//
// It is not byte-identical to the project's templates, but it must declare the same resources:
// cmd/bench's TestBaselineDeclaresTheSameResources fails, naming the stack and the resource
// type, when the per-stack counts of resources by CloudFormation type differ. When the
// constructs gain or lose resources, this package follows (feedback.go holds the
// notifications, delivery events and dashboards).
package baseline

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapplicationautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodecommit"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipelineactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecrassets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	elb "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/aws-cdk-go/awscdk/v2/customresources"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/jsii-runtime-go"
)

// Service is one service with every value spelled out.
type Service struct {
	Name, Repository, Branch string
	// LogRetention of every log group; LogRetentionDays is the same in days (the expiry of the
	// load balancer's access logs).
	LogRetention     awslogs.RetentionDays
	LogRetentionDays int
	// ManualApproval adds the approval stage before production.
	ManualApproval bool
	Build          Build
	// IntegrationTest runs against staging; nil for none.
	IntegrationTest *IntegrationTest
	// Exactly one of Lambda and Container is set.
	Lambda    *Lambda
	Container *Container
	// Environments in pipeline order: staging, production.
	Environments []Environment
	// Notifications subscribe to the service's notification topic.
	Notifications Notifications
}

// Notifications are the subscribers of the notification topic.
type Notifications struct {
	Emails, Webhooks []string
	// SlackChannels are AWS Chatbot Slack channel configuration ARNs, more targets of the
	// pipeline's notification rule.
	SlackChannels []string
}

// Secret names a Secrets Manager secret or an SSM SecureString parameter; exactly one is set.
type Secret struct {
	SecretsManager, Parameter string
}

// Build is the build stage.
type Build struct {
	Install, Test, Package []string
	ReportDir, PackageDir  string
	ComputeType            awscodebuild.ComputeType
	TimeoutMinutes         int
}

// IntegrationTest is the staging test stage.
type IntegrationTest struct {
	Install, Commands []string
	TimeoutMinutes    int
}

// Lambda is a function service.
type Lambda struct {
	// Runtime is Lambda's name of the runtime, e.g. nodejs22.x.
	Runtime string
	// Language and Version are CodeBuild's runtime-versions entry, e.g. nodejs 22.
	Language, Version string
	// Python selects the Python placeholder code.
	Python         bool
	Handler        string
	MemoryMiB      int
	TimeoutSeconds int
	Environment    map[string]string
	// Secrets: the function gets <NAME>_SECRET_ARN or <NAME>_PARAMETER_NAME and may read it.
	Secrets map[string]Secret
}

// Container is a container service.
type Container struct {
	Port, CPU, MemoryMiB, DesiredCount, ListenerPort, TestListenerPort int
	KeepImages, TerminationWaitMinutes                                 int
	HealthCheckPath, Dockerfile, Context                               string
	Environment                                                        map[string]string
	// Secrets ECS resolves into the container's environment when a task starts.
	Secrets map[string]Secret
	// BaseImageRepository and BaseImageTag name the ECR source; empty for none.
	BaseImageRepository, BaseImageTag string
	// ScanThreshold is the lowest Inspector severity (CRITICAL, HIGH, MEDIUM, LOW) that fails
	// the Scan stage.
	ScanThreshold string
}

// Environment is one deployment target.
type Environment struct {
	Name string
	// Config is a predefined deployment config as the CDK names its member, e.g.
	// CANARY_10PERCENT_5MINUTES; ignored when Custom is set.
	Config string
	// EcsConfigName (containers) is CodeDeploy's name of Config, e.g.
	// CodeDeployDefault.ECSAllAtOnce.
	EcsConfigName string
	// Custom is a custom shift, created as a deployment config of the service stack.
	Custom *Shift
	// DeployTimeoutMinutes (Lambda) is how long the deploy step waits.
	DeployTimeoutMinutes int
	Alarms               Alarms
	// PreTraffic, PostTraffic (Lambda) are hook handlers; "" for none.
	PreTraffic, PostTraffic string
	// EcsHooks (containers) are [event, function] pairs in lifecycle order.
	EcsHooks [][2]string
}

// Shift is a custom canary or linear shift.
type Shift struct {
	Linear                      bool
	Percentage, IntervalMinutes int
}

// Alarms are the thresholds of the default alarms and the custom ones.
type Alarms struct {
	Errors, Throttles, P99DurationMillis                          float64
	Target5xx, LoadBalancer5xx, UnhealthyHosts, P99LatencySeconds float64
	Custom                                                        []CustomAlarm
}

// CustomAlarm is one more alarm (greater than or equal to Threshold).
type CustomAlarm struct {
	Name, Namespace, MetricName, Statistic string
	Dimensions                             map[string]string
	Threshold                              float64
	PeriodSeconds, EvaluationPeriods       int
}

var runtimes = map[string]func() awslambda.Runtime{
	"nodejs22.x": awslambda.Runtime_NODEJS_22_X, "python3.12": awslambda.Runtime_PYTHON_3_12, "python3.13": awslambda.Runtime_PYTHON_3_13,
}

var lambdaConfigs = map[string]func() awscodedeploy.ILambdaDeploymentConfig{
	"ALL_AT_ONCE":                      awscodedeploy.LambdaDeploymentConfig_ALL_AT_ONCE,
	"CANARY_10PERCENT_5MINUTES":        awscodedeploy.LambdaDeploymentConfig_CANARY_10PERCENT_5MINUTES,
	"CANARY_10PERCENT_10MINUTES":       awscodedeploy.LambdaDeploymentConfig_CANARY_10PERCENT_10MINUTES,
	"CANARY_10PERCENT_15MINUTES":       awscodedeploy.LambdaDeploymentConfig_CANARY_10PERCENT_15MINUTES,
	"CANARY_10PERCENT_30MINUTES":       awscodedeploy.LambdaDeploymentConfig_CANARY_10PERCENT_30MINUTES,
	"LINEAR_10PERCENT_EVERY_1MINUTE":   awscodedeploy.LambdaDeploymentConfig_LINEAR_10PERCENT_EVERY_1MINUTE,
	"LINEAR_10PERCENT_EVERY_2MINUTES":  awscodedeploy.LambdaDeploymentConfig_LINEAR_10PERCENT_EVERY_2MINUTES,
	"LINEAR_10PERCENT_EVERY_3MINUTES":  awscodedeploy.LambdaDeploymentConfig_LINEAR_10PERCENT_EVERY_3MINUTES,
	"LINEAR_10PERCENT_EVERY_10MINUTES": awscodedeploy.LambdaDeploymentConfig_LINEAR_10PERCENT_EVERY_10MINUTES,
}

var ecsConfigs = map[string]func() awscodedeploy.IEcsDeploymentConfig{
	"ALL_AT_ONCE":                     awscodedeploy.EcsDeploymentConfig_ALL_AT_ONCE,
	"CANARY_10PERCENT_5MINUTES":       awscodedeploy.EcsDeploymentConfig_CANARY_10PERCENT_5MINUTES,
	"CANARY_10PERCENT_15MINUTES":      awscodedeploy.EcsDeploymentConfig_CANARY_10PERCENT_15MINUTES,
	"LINEAR_10PERCENT_EVERY_1MINUTES": awscodedeploy.EcsDeploymentConfig_LINEAR_10PERCENT_EVERY_1MINUTES,
	"LINEAR_10PERCENT_EVERY_3MINUTES": awscodedeploy.EcsDeploymentConfig_LINEAR_10PERCENT_EVERY_3MINUTES,
}

// Add declares every stack of every service.
func Add(app awscdk.App, services []Service) {
	shared := awscdk.NewStack(app, jsii.String("golden-pipelines-shared"), &awscdk.StackProps{
		Description: jsii.String("Shared: the CDK deploy role may resolve release parameters; delivery events, metrics and the overview dashboard"),
	})
	deployRole := awsiam.Role_FromRoleName(shared, jsii.String("DeployRole"),
		awscdk.Fn_Sub(jsii.String("cdk-hnb659fds-deploy-role-${AWS::AccountId}-${AWS::Region}"), nil),
		&awsiam.FromRoleNameOptions{Mutable: jsii.Bool(true)})
	awsiam.NewPolicy(shared, jsii.String("ReleaseParameterAccess"), &awsiam.PolicyProps{
		Roles: &[]awsiam.IRole{deployRole},
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("ssm:GetParameters"),
			Resources: jsii.Strings("arn:aws:ssm:*:*:parameter/golden-pipelines/*"),
		})},
	})
	sharedFeedback(shared, services)
	for i := range services {
		s := &services[i]
		pipelineStack := awscdk.NewStack(app, jsii.String(s.Name+"-pipeline"), &awscdk.StackProps{
			Description: jsii.String("Release pipeline of " + s.Name),
			Tags:        &map[string]*string{"service": jsii.String(s.Name)},
		})
		packages, repo, key, pipeline := pipelineOf(pipelineStack, s)
		serviceFeedback(pipelineStack, s, key, pipeline)
		pipelineStack.AddStackDependency(shared, jsii.String("the delivery events and their metric"))
		for _, env := range s.Environments {
			stack := awscdk.NewStack(app, jsii.String(s.Name+"-"+env.Name), &awscdk.StackProps{
				Description: jsii.String(s.Name + " in " + env.Name),
				Tags:        &map[string]*string{"service": jsii.String(s.Name), "environment": jsii.String(env.Name)},
			})
			stack.AddStackDependency(pipelineStack, jsii.String("release parameter and package bucket"))
			stack.AddStackDependency(shared, jsii.String("deploy role access"))
			if s.Lambda != nil {
				lambdaService(stack, s, &env, packages)
			} else {
				ecsService(stack, s, &env, repo)
			}
		}
	}
}

// logsKey is the stack's key for its log groups, created once per stack, with the key policy
// statements the constructs give it (CloudWatch Logs for this account's log groups; grants only
// for AWS services).
func logsKey(stack awscdk.Stack) awskms.IKey {
	if k, ok := stack.Node().TryFindChild(jsii.String("LogsKey")).(awskms.IKey); ok {
		return k
	}
	key := awskms.NewKey(stack, jsii.String("LogsKey"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true), RemovalPolicy: awscdk.RemovalPolicy_RETAIN})
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(awscdk.Fn_Sub(jsii.String("logs.${AWS::Region}.amazonaws.com"), nil), nil)},
		Actions:    jsii.Strings("kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:DescribeKey"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]interface{}{"ArnLike": map[string]interface{}{
			"kms:EncryptionContext:aws:logs:arn": awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"), nil),
		}},
	}), nil)
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Effect: awsiam.Effect_DENY, Principals: &[]awsiam.IPrincipal{awsiam.NewStarPrincipal()}, Actions: jsii.Strings("kms:CreateGrant"),
		Resources: jsii.Strings("*"),
		Conditions: &map[string]interface{}{"BoolIfExists": map[string]interface{}{
			"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false",
		}},
	}), nil)
	return key
}

func releaseParameter(service, env string) string {
	return "/golden-pipelines/" + service + "/" + env + "/release"
}

// pipelineOf declares the pipeline stack's resources and returns the package bucket (Lambda)
// or the image repository (containers), the pipeline's key and the pipeline.
func pipelineOf(stack awscdk.Stack, s *Service) (awss3.Bucket, awsecr.Repository, awskms.Key, awscodepipeline.Pipeline) {
	key := awskms.NewKey(stack, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("Pipeline key of " + s.Name),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
	})
	// Server access logs of the artifact and package buckets (S3 delivers them only to a bucket
	// with S3-managed keys; cdk.json has the access logs use the bucket policy).
	accessLogs := awss3.NewBucket(stack, jsii.String("AccessLogs"), &awss3.BucketProps{
		Encryption: awss3.BucketEncryption_S3_MANAGED, EnforceSSL: jsii.Bool(true), BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership: awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Expiration: awscdk.Duration_Days(jsii.Number(30)), AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
		}},
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	bucket := func(id string, rule *awss3.LifecycleRule) awss3.Bucket {
		return awss3.NewBucket(stack, jsii.String(id), &awss3.BucketProps{
			Encryption: awss3.BucketEncryption_KMS, EncryptionKey: key, BucketKeyEnabled: jsii.Bool(true),
			EnforceSSL: jsii.Bool(true), BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
			ObjectOwnership: awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED, Versioned: jsii.Bool(true),
			LifecycleRules: &[]*awss3.LifecycleRule{rule}, RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
			ServerAccessLogsBucket: accessLogs, ServerAccessLogsPrefix: jsii.String(id + "/"),
		})
	}
	artifacts := bucket("Artifacts", &awss3.LifecycleRule{
		Expiration:                          awscdk.Duration_Days(jsii.Number(30)),
		NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(1)),
		AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
	})
	logs := awslogs.NewLogGroup(stack, jsii.String("BuildLogs"), &awslogs.LogGroupProps{
		EncryptionKey: logsKey(stack),
		Retention:     s.LogRetention, RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	project := func(id, name string, spec map[string]interface{}, compute awscodebuild.ComputeType, minutes int,
		env map[string]*awscodebuild.BuildEnvironmentVariable, privileged bool) awscodebuild.PipelineProject {
		props := &awscodebuild.PipelineProjectProps{
			ProjectName: jsii.String(name),
			BuildSpec:   awscodebuild.BuildSpec_FromObjectToYaml(&spec),
			Environment: &awscodebuild.BuildEnvironment{
				BuildImage: awscodebuild.LinuxBuildImage_STANDARD_7_0(), ComputeType: compute, Privileged: jsii.Bool(privileged),
			},
			EnvironmentVariables: &env,
			EncryptionKey:        key,
			Timeout:              awscdk.Duration_Minutes(jsii.Number(float64(minutes))),
			Logging: &awscodebuild.LoggingOptions{CloudWatch: &awscodebuild.CloudWatchLoggingOptions{
				LogGroup: logs, Prefix: jsii.String(name),
			}},
		}
		if privileged {
			props.Cache = awscodebuild.Cache_Local(awscodebuild.LocalCacheMode_DOCKER_LAYER)
		}
		return awscodebuild.NewPipelineProject(stack, jsii.String(id), props)
	}
	plain := func(vars map[string]string) map[string]*awscodebuild.BuildEnvironmentVariable {
		out := map[string]*awscodebuild.BuildEnvironmentVariable{}
		for k, v := range vars {
			out[k] = &awscodebuild.BuildEnvironmentVariable{Value: jsii.String(v)}
		}
		return out
	}

	source := awscodepipeline.NewArtifact(jsii.String("Source"), nil)
	release := awscodepipeline.NewArtifact(jsii.String("Release"), nil)
	sources := []awscodepipeline.IAction{awscodepipelineactions.NewCodeCommitSourceAction(&awscodepipelineactions.CodeCommitSourceActionProps{
		ActionName: jsii.String("Source"),
		Repository: awscodecommit.Repository_FromRepositoryName(stack, jsii.String("Repository"), jsii.String(s.Repository)),
		Branch:     jsii.String(s.Branch), Output: source, Trigger: awscodepipelineactions.CodeCommitTrigger_EVENTS,
	})}
	buildProps := &awscodepipelineactions.CodeBuildActionProps{
		ActionName: jsii.String("Build"), Input: source, Outputs: &[]awscodepipeline.Artifact{release},
		VariablesNamespace: jsii.String("Build"),
	}

	var packages awss3.Bucket
	var repo awsecr.Repository
	if s.Lambda != nil {
		packages = bucket("Packages", &awss3.LifecycleRule{
			NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(90)),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
		})
		env := plain(nil)
		env["RELEASE_BUCKET"] = &awscodebuild.BuildEnvironmentVariable{Value: packages.BucketName()}
		buildProps.Project = project("Build", s.Name+"-build", lambdaBuildSpec(s), s.Build.ComputeType, s.Build.TimeoutMinutes, env, false)
		packages.GrantPut(buildProps.Project.(awscodebuild.PipelineProject), jsii.String(s.Name+"/*"))
	} else {
		c := s.Container
		keep := jsii.Number(float64(c.KeepImages))
		repo = awsecr.NewRepository(stack, jsii.String("Images"), &awsecr.RepositoryProps{
			RepositoryName: jsii.String(s.Name), ImageTagMutability: awsecr.TagMutability_IMMUTABLE,
			ImageScanOnPush: jsii.Bool(true), Encryption: awsecr.RepositoryEncryption_KMS(), EncryptionKey: key,
			RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
			LifecycleRules: &[]*awsecr.LifecycleRule{
				{RulePriority: jsii.Number(1), TagStatus: awsecr.TagStatus_TAGGED, TagPrefixList: jsii.Strings("deployed-production-"), MaxImageCount: keep},
				{RulePriority: jsii.Number(2), TagStatus: awsecr.TagStatus_TAGGED, TagPrefixList: jsii.Strings("deployed-staging-"), MaxImageCount: keep},
				{RulePriority: jsii.Number(3), TagStatus: awsecr.TagStatus_TAGGED, TagPrefixList: jsii.Strings("build-"), MaxImageCount: keep},
				{RulePriority: jsii.Number(4), TagStatus: awsecr.TagStatus_UNTAGGED, MaxImageAge: awscdk.Duration_Days(jsii.Number(1))},
			},
		})
		var baseRepo awsecr.IRepository
		if c.BaseImageRepository != "" {
			base := awscodepipeline.NewArtifact(jsii.String("BaseImage"), nil)
			baseRepo = awsecr.Repository_FromRepositoryName(stack, jsii.String("BaseImageRepository"), jsii.String(c.BaseImageRepository))
			sources = append(sources, awscodepipelineactions.NewEcrSourceAction(&awscodepipelineactions.EcrSourceActionProps{
				ActionName: jsii.String("BaseImage"), Repository: baseRepo, ImageTag: jsii.String(c.BaseImageTag), Output: base,
			}))
			buildProps.ExtraInputs = &[]awscodepipeline.Artifact{base}
		}
		env := map[string]*awscodebuild.BuildEnvironmentVariable{"REPOSITORY_URI": {Value: repo.RepositoryUri()}}
		build := project("Build", s.Name+"-build", containerBuildSpec(s), s.Build.ComputeType, s.Build.TimeoutMinutes, env, true)
		buildProps.Project = build
		repo.GrantPullPush(build)
		if baseRepo != nil {
			baseRepo.GrantPull(build)
		}
		repo.Grant(build, jsii.String("ecr:DescribeImages"))
	}
	buildAction := awscodepipelineactions.NewCodeBuildAction(buildProps)
	tag := buildAction.Variable(jsii.String("BUILD_TAG"))
	releaseEnv := &map[string]*awscodebuild.BuildEnvironmentVariable{"RELEASE": {Value: tag}}
	codeBuild := func(name string, p awscodebuild.IProject, input awscodepipeline.Artifact, order float64, outputs ...awscodepipeline.Artifact) awscodepipeline.IAction {
		props := &awscodepipelineactions.CodeBuildActionProps{
			ActionName: jsii.String(name), Project: p, Input: input, RunOrder: jsii.Number(order), EnvironmentVariables: releaseEnv,
		}
		if len(outputs) > 0 {
			props.Outputs = &outputs
		}
		return awscodepipelineactions.NewCodeBuildAction(props)
	}

	stages := []*awscodepipeline.StageProps{
		{StageName: jsii.String("Source"), Actions: &sources},
		{StageName: jsii.String("Build"), Actions: &[]awscodepipeline.IAction{buildAction}},
	}
	if s.Container != nil {
		// The scan action logs to /aws/codepipeline/<pipeline>, here with the service's retention.
		awslogs.NewLogGroup(stack, jsii.String("ActionLogs"), &awslogs.LogGroupProps{
			EncryptionKey: logsKey(stack),
			LogGroupName:  jsii.String("/aws/codepipeline/" + s.Name), Retention: s.LogRetention, RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		})
		// Inspector fails the stage on any finding at or above the threshold.
		scan := &awscodepipelineactions.InspectorEcrImageScanActionProps{
			ActionName: jsii.String("ImageScan"), Repository: repo, ImageTag: tag, Output: awscodepipeline.NewArtifact(jsii.String("ScanReport"), nil),
		}
		for _, t := range []struct {
			severity  string
			threshold **float64
		}{{"CRITICAL", &scan.CriticalThreshold}, {"HIGH", &scan.HighThreshold}, {"MEDIUM", &scan.MediumThreshold}, {"LOW", &scan.LowThreshold}} {
			*t.threshold = jsii.Number(0)
			if t.severity == s.Container.ScanThreshold {
				break
			}
		}
		stages = append(stages, &awscodepipeline.StageProps{
			StageName: jsii.String("Scan"), Actions: &[]awscodepipeline.IAction{awscodepipelineactions.NewInspectorEcrImageScanAction(scan)},
		})
	}
	// The function behind the release parameter custom resources (one per stack) gets a role
	// that writes its own log group, kept with the service's retention.
	var crRole awsiam.Role
	var crLogs awslogs.LogGroup
	if s.Lambda != nil {
		crLogs = awslogs.NewLogGroup(stack, jsii.String("ReleaseParameterFunctionLogs"), &awslogs.LogGroupProps{
			EncryptionKey: logsKey(stack),
			Retention:     s.LogRetention, RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		})
		crRole = awsiam.NewRole(stack, jsii.String("ReleaseParameterFunctionRole"), &awsiam.RoleProps{
			AssumedBy: awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil), Description: jsii.String("Creates release parameters once"),
		})
		crLogs.GrantWrite(crRole)
	}
	for _, env := range s.Environments {
		id := strings.ToUpper(env.Name[:1]) + env.Name[1:]
		var actions []awscodepipeline.IAction
		if s.Lambda != nil {
			param := releaseParameter(s.Name, env.Name)
			paramArn := stack.FormatArn(&awscdk.ArnComponents{
				Service: jsii.String("ssm"), Resource: jsii.String("parameter"), ResourceName: jsii.String(param[1:]),
			})
			customresources.NewAwsCustomResource(stack, jsii.String(id+"ReleaseParameter"), &customresources.AwsCustomResourceProps{
				OnCreate: &customresources.AwsSdkCall{
					Service: jsii.String("SSM"), Action: jsii.String("putParameter"),
					Parameters: map[string]interface{}{
						"Name": param, "Value": "bootstrap", "Type": "String", "Overwrite": false,
						"Description": "Build that " + s.Name + " runs in " + env.Name,
					},
					PhysicalResourceId:       customresources.PhysicalResourceId_Of(jsii.String(param)),
					IgnoreErrorCodesMatching: jsii.String("ParameterAlreadyExists"),
				},
				Policy: customresources.AwsCustomResourcePolicy_FromSdkCalls(&customresources.SdkCallsPolicyOptions{
					Resources: &[]*string{paramArn},
				}),
				InstallLatestAwsSdk: jsii.Bool(false),
				Role:                crRole,
				LogGroup:            crLogs,
			})
			stackName := s.Name + "-" + env.Name
			deployEnv := plain(map[string]string{
				"SERVICE": s.Name, "ENVIRONMENT": env.Name, "STACK_NAME": stackName, "RELEASE_PARAMETER": param,
				"TIMEOUT_MINUTES": fmt.Sprint(env.DeployTimeoutMinutes),
			})
			deployEnv["RELEASE_BUCKET"] = &awscodebuild.BuildEnvironmentVariable{Value: packages.BucketName()}
			deploy := project(id+"Deploy", s.Name+"-deploy-"+env.Name, deploySpec, awscodebuild.ComputeType_SMALL,
				env.DeployTimeoutMinutes+10, deployEnv, false)
			packages.GrantRead(deploy, jsii.String(s.Name+"/*"))
			deploy.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings("ssm:GetParameter", "ssm:PutParameter"), Resources: &[]*string{paramArn},
			}))
			deploy.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings("cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents",
					"cloudformation:UpdateStack", "cloudformation:CancelUpdateStack"),
				Resources: &[]*string{stack.FormatArn(&awscdk.ArnComponents{
					Service: jsii.String("cloudformation"), Resource: jsii.String("stack"), ResourceName: jsii.String(stackName + "/*"),
				})},
			}))
			deploy.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings("ssm:GetParameters"), Resources: &[]*string{paramArn},
			}))
			deploy.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions:   jsii.Strings("iam:PassRole"),
				Resources: &[]*string{awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-cfn-exec-role-${AWS::AccountId}-${AWS::Region}"), nil)},
			}))
			awscodedeploy.LambdaDeploymentGroup_FromLambdaDeploymentGroupAttributes(stack, jsii.String(id+"DeploymentGroup"),
				&awscodedeploy.LambdaDeploymentGroupAttributes{
					Application:         awscodedeploy.LambdaApplication_FromLambdaApplicationName(stack, jsii.String(id+"Application"), jsii.String(stackName)),
					DeploymentGroupName: jsii.String(stackName),
				})
			actions = append(actions, codeBuild("Deploy", deploy, release, 1))
		} else {
			actions = append(actions, ecsStage(stack, s, &env, id, project, repo, release, tag, codeBuild)...)
		}
		if env.Name == "staging" && s.IntegrationTest != nil {
			testEnv := plain(map[string]string{"FUNCTION_NAME": s.Name + "-staging", "FUNCTION_ALIAS": "live"})
			if s.Container != nil {
				testEnv = map[string]*awscodebuild.BuildEnvironmentVariable{"SERVICE_URL": {
					Type: awscodebuild.BuildEnvironmentVariableType_PARAMETER_STORE, Value: jsii.String("/golden-pipelines/" + s.Name + "/staging/url"),
				}}
			}
			test := project("IntegrationTest", s.Name+"-integration-test", integrationTestSpec(s), awscodebuild.ComputeType_SMALL,
				s.IntegrationTest.TimeoutMinutes, testEnv, false)
			if s.Lambda != nil {
				test.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
					Actions: jsii.Strings("lambda:InvokeFunction"),
					Resources: &[]*string{stack.FormatArn(&awscdk.ArnComponents{
						Service: jsii.String("lambda"), Resource: jsii.String("function"),
						ResourceName: jsii.String(s.Name + "-staging:live"), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
					})},
				}))
			}
			actions = append(actions, codeBuild("IntegrationTest", test, source, float64(len(actions)+1)))
		}
		if env.Name == "production" && s.ManualApproval {
			stages = append(stages, &awscodepipeline.StageProps{
				StageName: jsii.String("Approval"),
				Actions: &[]awscodepipeline.IAction{awscodepipelineactions.NewManualApprovalAction(&awscodepipelineactions.ManualApprovalActionProps{
					ActionName: jsii.String("PromoteToProduction"), AdditionalInformation: jsii.String("Approve " + *tag),
				})},
			})
		}
		stages = append(stages, &awscodepipeline.StageProps{StageName: jsii.String(id), Actions: &actions})
	}
	pipeline := awscodepipeline.NewPipeline(stack, jsii.String("Pipeline"), &awscodepipeline.PipelineProps{
		PipelineName: jsii.String(s.Name), PipelineType: awscodepipeline.PipelineType_V2, ArtifactBucket: artifacts,
		RestartExecutionOnUpdate: jsii.Bool(false), ExecutionMode: awscodepipeline.ExecutionMode_QUEUED, Stages: &stages,
	})
	return packages, repo, key, pipeline
}

// ecsStage declares the prepare and record projects and the actions of one container
// environment.
func ecsStage(stack awscdk.Stack, s *Service, env *Environment, id string,
	project func(string, string, map[string]interface{}, awscodebuild.ComputeType, int, map[string]*awscodebuild.BuildEnvironmentVariable, bool) awscodebuild.PipelineProject,
	repo awsecr.Repository, release awscodepipeline.Artifact, tag *string,
	codeBuild func(string, awscodebuild.IProject, awscodepipeline.Artifact, float64, ...awscodepipeline.Artifact) awscodepipeline.IAction) []awscodepipeline.IAction {
	name := s.Name + "-" + env.Name
	prepare := project(id+"Prepare", s.Name+"-prepare-"+env.Name, prepareSpec, awscodebuild.ComputeType_SMALL, 10,
		map[string]*awscodebuild.BuildEnvironmentVariable{
			"APPSPEC":        {Value: jsii.String(appSpec(s.Container.Port, env.EcsHooks))},
			"ENVIRONMENT":    {Value: jsii.String(env.Name)},
			"REPOSITORY_URI": {Value: repo.RepositoryUri()},
			"TASK_DEFINITION_ARN": {
				Type: awscodebuild.BuildEnvironmentVariableType_PARAMETER_STORE, Value: jsii.String("/golden-pipelines/" + name + "/task-definition"),
			},
		}, false)
	prepare.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("ecs:DescribeTaskDefinition"), Resources: jsii.Strings("*"),
	}))
	config := env.EcsConfigName
	if env.Custom != nil {
		config = name
	}
	group := awscodedeploy.EcsDeploymentGroup_FromEcsDeploymentGroupAttributes(stack, jsii.String(id+"DeploymentGroup"),
		&awscodedeploy.EcsDeploymentGroupAttributes{
			Application:         awscodedeploy.EcsApplication_FromEcsApplicationName(stack, jsii.String(id+"Application"), jsii.String(name)),
			DeploymentGroupName: jsii.String(name),
			DeploymentConfig:    awscodedeploy.EcsDeploymentConfig_FromEcsDeploymentConfigName(stack, jsii.String(id+"DeploymentConfig"), jsii.String(config)),
		})
	record := project(id+"Record", s.Name+"-record-"+env.Name, recordSpec, awscodebuild.ComputeType_SMALL, 10,
		map[string]*awscodebuild.BuildEnvironmentVariable{
			"ENVIRONMENT": {Value: jsii.String(env.Name)}, "REPOSITORY_URI": {Value: repo.RepositoryUri()},
		}, false)
	repo.Grant(record, jsii.String("ecr:BatchGetImage"), jsii.String("ecr:PutImage"))
	prepared := awscodepipeline.NewArtifact(jsii.String(id+"Deployment"), nil)
	return []awscodepipeline.IAction{
		codeBuild("Prepare", prepare, release, 1, prepared),
		awscodepipelineactions.NewCodeDeployEcsDeployAction(&awscodepipelineactions.CodeDeployEcsDeployActionProps{
			ActionName: jsii.String("Deploy"), RunOrder: jsii.Number(2), DeploymentGroup: group,
			TaskDefinitionTemplateInput: prepared, AppSpecTemplateInput: prepared,
			ContainerImageInputs: &[]*awscodepipelineactions.CodeDeployEcsContainerImageInput{{
				Input: prepared, TaskDefinitionPlaceholder: jsii.String("IMAGE1_NAME"),
			}},
		}),
		codeBuild("RecordRelease", record, prepared, 3),
	}
}

// lambdaService declares the function, its live alias, the hooks, alarms and deployment group.
func lambdaService(stack awscdk.Stack, s *Service, env *Environment, packages awss3.IBucket) {
	l := s.Lambda
	release := awscdk.NewCfnParameter(stack, jsii.String("Release"), &awscdk.CfnParameterProps{
		Type:    jsii.String("AWS::SSM::Parameter::Value<String>"),
		Default: jsii.String(releaseParameter(s.Name, env.Name)),
	})
	released := awscdk.NewCfnCondition(stack, jsii.String("Released"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionNot(awscdk.Fn_ConditionEquals(release.ValueAsString(), jsii.String("bootstrap"))),
	})
	key := awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String(s.Name + "/"), release.ValueAsString(), jsii.String(".zip")})
	description := awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("release "), release.ValueAsString()})
	name := s.Name + "-" + env.Name
	function := func(id, fnName, handler string, plain map[string]string, secrets map[string]Secret, placeholder string,
		version *awslambda.VersionOptions) awslambda.Function {
		logs := awslogs.NewLogGroup(stack, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
			EncryptionKey: logsKey(stack),
			LogGroupName:  jsii.String("/aws/lambda/" + fnName), Retention: s.LogRetention, RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		})
		// A role that writes the function's own log group (not AWSLambdaBasicExecutionRole).
		role := awsiam.NewRole(stack, jsii.String(id+"Role"), &awsiam.RoleProps{
			AssumedBy: awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil), Description: jsii.String("Runs " + fnName),
		})
		logs.GrantWrite(role)
		vars := map[string]*string{}
		for k, v := range plain {
			vars[k] = jsii.String(v)
		}
		for _, k := range sortedKeys(secrets) {
			if secretName := secrets[k].SecretsManager; secretName != "" {
				secret := awssecretsmanager.Secret_FromSecretNameV2(stack, jsii.String(id+"Secret"+k), jsii.String(secretName))
				secret.GrantRead(role, nil)
				vars[k+"_SECRET_ARN"] = secret.SecretArn()
			} else {
				param := awsssm.StringParameter_FromSecureStringParameterAttributes(stack, jsii.String(id+"Parameter"+k),
					&awsssm.SecureStringParameterAttributes{ParameterName: jsii.String(secrets[k].Parameter)})
				param.GrantRead(role)
				vars[k+"_PARAMETER_NAME"] = jsii.String(secrets[k].Parameter)
			}
		}
		fn := awslambda.NewFunction(stack, jsii.String(id), &awslambda.FunctionProps{
			FunctionName: jsii.String(fnName), Runtime: runtimes[l.Runtime](), Handler: jsii.String("index.handler"),
			Code:       awslambda.Code_FromInline(jsii.String(placeholder)),
			MemorySize: jsii.Number(float64(l.MemoryMiB)), Timeout: awscdk.Duration_Seconds(jsii.Number(float64(l.TimeoutSeconds))),
			Environment: &vars, LogGroup: logs, Role: role, Tracing: awslambda.Tracing_ACTIVE, CurrentVersionOptions: version,
			Description: jsii.String(s.Name + " " + env.Name + " (" + fnName + ")"),
		})
		cfn := fn.Node().DefaultChild().(awslambda.CfnFunction)
		cfn.AddPropertyOverride(jsii.String("Code"), awscdk.Fn_ConditionIf(released.LogicalId(),
			map[string]interface{}{"S3Bucket": packages.BucketName(), "S3Key": key}, map[string]interface{}{"ZipFile": placeholder}))
		cfn.AddPropertyOverride(jsii.String("Handler"), awscdk.Fn_ConditionIf(released.LogicalId(), handler, "index.handler"))
		return fn
	}
	fn := function("Function", name, l.Handler, l.Environment, l.Secrets, placeholderCode(l.Python, s.Name, env.Name),
		&awslambda.VersionOptions{Description: description, RemovalPolicy: awscdk.RemovalPolicy_DESTROY})
	alias := awslambda.NewAlias(stack, jsii.String("Live"), &awslambda.AliasProps{
		AliasName: jsii.String("live"), Version: fn.CurrentVersion(), Description: description,
	})
	minute := awscdk.Duration_Minutes(jsii.Number(1))
	a := env.Alarms
	alarms := []interfacesawscloudwatch.IAlarmRef{
		alarm(stack, "ErrorsAlarm", name+"-errors", alias.MetricErrors(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("Sum")}), a.Errors, 1),
		alarm(stack, "ThrottlesAlarm", name+"-throttles", alias.MetricThrottles(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("Sum")}), a.Throttles, 1),
		alarm(stack, "P99DurationAlarm", name+"-p99-duration", alias.MetricDuration(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("p99")}), a.P99DurationMillis, 1),
	}
	for _, c := range a.Custom {
		opts := &awscloudwatch.MetricOptions{Period: awscdk.Duration_Seconds(jsii.Number(float64(c.PeriodSeconds))), Statistic: jsii.String(c.Statistic)}
		var metric awscloudwatch.IMetric
		if c.Namespace == "AWS/Lambda" {
			metric = alias.Metric(jsii.String(c.MetricName), opts)
		} else {
			metric = customMetric(c)
		}
		alarms = append(alarms, alarm(stack, "Alarm"+c.Name, name+"-"+c.Name, metric, c.Threshold, c.EvaluationPeriods))
	}
	health(stack, name, alarms)
	hookVars := map[string]string{"FUNCTION_NAME": name, "FUNCTION_ALIAS": "live"}
	props := &awscodedeploy.LambdaDeploymentGroupProps{
		Application:         awscodedeploy.NewLambdaApplication(stack, jsii.String("Application"), &awscodedeploy.LambdaApplicationProps{ApplicationName: jsii.String(name)}),
		DeploymentGroupName: jsii.String(name),
		Alias:               alias,
		Alarms:              &alarms,
		AutoRollback:        &awscodedeploy.AutoRollbackConfig{FailedDeployment: jsii.Bool(true), StoppedDeployment: jsii.Bool(true), DeploymentInAlarm: jsii.Bool(true)},
	}
	if env.Custom == nil {
		props.DeploymentConfig = lambdaConfigs[env.Config]()
	}
	if c := env.Custom; c != nil {
		props.DeploymentConfig = awscodedeploy.NewLambdaDeploymentConfig(stack, jsii.String("DeploymentConfig"), &awscodedeploy.LambdaDeploymentConfigProps{
			TrafficRouting: routing(c),
		})
	}
	for _, h := range []struct {
		id, handler string
		set         func(awslambda.Function)
	}{
		{"PreTrafficHook", env.PreTraffic, func(f awslambda.Function) { props.PreHook = f }},
		{"PostTrafficHook", env.PostTraffic, func(f awslambda.Function) { props.PostHook = f }},
	} {
		if h.handler == "" {
			continue
		}
		hook := function(h.id, name+"-"+strings.ToLower(strings.TrimSuffix(h.id, "Hook")), h.handler, hookVars, nil, hookPlaceholder(l.Python, s.Name), nil)
		fn.GrantInvoke(hook)
		alias.Node().AddDependency(hook)
		h.set(hook)
	}
	awscodedeploy.NewLambdaDeploymentGroup(stack, jsii.String("DeploymentGroup"), props)
}

func sortedKeys(m map[string]Secret) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func routing(c *Shift) awscodedeploy.TrafficRouting {
	interval, pct := awscdk.Duration_Minutes(jsii.Number(float64(c.IntervalMinutes))), jsii.Number(float64(c.Percentage))
	if c.Linear {
		return awscodedeploy.TrafficRouting_TimeBasedLinear(&awscodedeploy.TimeBasedLinearTrafficRoutingProps{Interval: interval, Percentage: pct})
	}
	return awscodedeploy.TrafficRouting_TimeBasedCanary(&awscodedeploy.TimeBasedCanaryTrafficRoutingProps{Interval: interval, Percentage: pct})
}

func customMetric(c CustomAlarm) awscloudwatch.IMetric {
	dims := map[string]*string{}
	for k, v := range c.Dimensions {
		dims[k] = jsii.String(v)
	}
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace: jsii.String(c.Namespace), MetricName: jsii.String(c.MetricName), DimensionsMap: &dims,
		Period: awscdk.Duration_Seconds(jsii.Number(float64(c.PeriodSeconds))), Statistic: jsii.String(c.Statistic),
	})
}

// health declares the composite alarm over an environment's alarms that the pipeline's
// conditions watch.
func health(stack awscdk.Stack, name string, alarms []interfacesawscloudwatch.IAlarmRef) {
	rules := make([]awscloudwatch.IAlarmRule, len(alarms))
	for i, a := range alarms {
		rules[i] = a.(awscloudwatch.IAlarmRule)
	}
	awscloudwatch.NewCompositeAlarm(stack, jsii.String("HealthAlarm"), &awscloudwatch.CompositeAlarmProps{
		CompositeAlarmName: jsii.String(name + "-health"), AlarmRule: awscloudwatch.AlarmRule_AnyOf(rules...),
	})
}

func alarm(stack awscdk.Stack, id, name string, metric awscloudwatch.IMetric, threshold float64, periods int) awscloudwatch.Alarm {
	return awscloudwatch.NewAlarm(stack, jsii.String(id), &awscloudwatch.AlarmProps{
		AlarmName: jsii.String(name), AlarmDescription: jsii.String(name + " stops and rolls back a deployment"),
		Metric: metric, Threshold: jsii.Number(threshold),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		EvaluationPeriods:  jsii.Number(float64(periods)), TreatMissingData: awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
}

// ecsService declares the VPC, cluster, load balancer, target groups, Fargate service,
// deployment group, alarms and parameters of one container environment.
func ecsService(stack awscdk.Stack, s *Service, env *Environment, repo awsecr.IRepository) {
	c := s.Container
	name := s.Name + "-" + env.Name
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{MaxAzs: jsii.Number(2), NatGateways: jsii.Number(1)})
	vpc.AddFlowLog(jsii.String("FlowLog"), &awsec2.FlowLogOptions{
		Destination: awsec2.FlowLogDestination_ToCloudWatchLogs(awslogs.NewLogGroup(stack, jsii.String("FlowLogs"), &awslogs.LogGroupProps{
			EncryptionKey: logsKey(stack),
			Retention:     s.LogRetention, RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		}), nil),
		TrafficType: awsec2.FlowLogTrafficType_ALL,
	})
	// The CDK's function that strips the default security group logs to a log group with the
	// service's retention, created before it first runs.
	if provider, restrict := stack.Node().TryFindChild(jsii.String("Custom::VpcRestrictDefaultSGCustomResourceProvider")),
		vpc.Node().TryFindChild(jsii.String("RestrictDefaultSecurityGroupCustomResource")); provider != nil && restrict != nil {
		handler := provider.Node().FindChild(jsii.String("Handler")).(awscdk.CfnResource)
		restrict.Node().AddDependency(awslogs.NewLogGroup(stack, jsii.String("RestrictDefaultSecurityGroupLogs"), &awslogs.LogGroupProps{
			EncryptionKey: logsKey(stack),
			LogGroupName:  awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("/aws/lambda/"), handler.Ref()}),
			Retention:     s.LogRetention, RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		}))
	}
	cluster := awsecs.NewCluster(stack, jsii.String("Cluster"), &awsecs.ClusterProps{
		Vpc: vpc, ContainerInsightsV2: awsecs.ContainerInsights_ENABLED, EnableFargateCapacityProviders: jsii.Bool(true),
	})
	albSG := awsec2.NewSecurityGroup(stack, jsii.String("LoadBalancerSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc: vpc, AllowAllOutbound: jsii.Bool(false), Description: jsii.String(name + " load balancer"),
	})
	albSG.AddIngressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(float64(c.ListenerPort))), jsii.String("production traffic"), nil)
	for i, subnet := range *vpc.PublicSubnets() {
		if eip, ok := subnet.Node().TryFindChild(jsii.String("EIP")).(awsec2.CfnEIP); ok {
			albSG.AddIngressRule(awsec2.Peer_Ipv4(awscdk.Fn_Join(jsii.String(""), &[]*string{eip.AttrPublicIp(), jsii.String("/32")})),
				awsec2.Port_Tcp(jsii.Number(float64(c.TestListenerPort))), jsii.String(fmt.Sprintf("test traffic (NAT %d)", i+1)), nil)
		}
	}
	lb := elb.NewApplicationLoadBalancer(stack, jsii.String("LoadBalancer"), &elb.ApplicationLoadBalancerProps{
		Vpc: vpc, InternetFacing: jsii.Bool(true), SecurityGroup: albSG, DropInvalidHeaderFields: jsii.Bool(true),
	})
	// Access logs need the region's log delivery principal: only with a region.
	if !*awscdk.Token_IsUnresolved(stack.Region()) {
		lb.LogAccessLogs(awss3.NewBucket(stack, jsii.String("AccessLogs"), &awss3.BucketProps{
			Encryption: awss3.BucketEncryption_S3_MANAGED, EnforceSSL: jsii.Bool(true), BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
			ObjectOwnership: awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
			LifecycleRules: &[]*awss3.LifecycleRule{{
				Expiration:                          awscdk.Duration_Days(jsii.Number(float64(s.LogRetentionDays))),
				AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
			}},
			RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		}), nil)
	}
	target := func(id string) elb.ApplicationTargetGroup {
		return elb.NewApplicationTargetGroup(stack, jsii.String(id), &elb.ApplicationTargetGroupProps{
			Vpc: vpc, Port: jsii.Number(float64(c.Port)), Protocol: elb.ApplicationProtocol_HTTP, TargetType: elb.TargetType_IP,
			DeregistrationDelay: awscdk.Duration_Seconds(jsii.Number(30)),
			HealthCheck: &elb.HealthCheck{
				Path: jsii.String(c.HealthCheckPath), HealthyHttpCodes: jsii.String("200"), Interval: awscdk.Duration_Seconds(jsii.Number(15)),
				HealthyThresholdCount: jsii.Number(2), UnhealthyThresholdCount: jsii.Number(3),
			},
		})
	}
	blue, green := target("BlueTargetGroup"), target("GreenTargetGroup")
	listener := lb.AddListener(jsii.String("Listener"), &elb.BaseApplicationListenerProps{
		Port: jsii.Number(float64(c.ListenerPort)), Protocol: elb.ApplicationProtocol_HTTP, Open: jsii.Bool(false),
		DefaultTargetGroups: &[]elb.IApplicationTargetGroup{blue},
	})
	testListener := lb.AddListener(jsii.String("TestListener"), &elb.BaseApplicationListenerProps{
		Port: jsii.Number(float64(c.TestListenerPort)), Protocol: elb.ApplicationProtocol_HTTP, Open: jsii.Bool(false),
		DefaultTargetGroups: &[]elb.IApplicationTargetGroup{green},
	})
	logs := awslogs.NewLogGroup(stack, jsii.String("Logs"), &awslogs.LogGroupProps{
		EncryptionKey: logsKey(stack),
		LogGroupName:  jsii.String("/ecs/" + name), Retention: s.LogRetention, RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	task := awsecs.NewFargateTaskDefinition(stack, jsii.String("TaskDefinition"), &awsecs.FargateTaskDefinitionProps{
		Family: jsii.String(name), Cpu: jsii.Number(float64(c.CPU)), MemoryLimitMiB: jsii.Number(float64(c.MemoryMiB)),
		RuntimePlatform: &awsecs.RuntimePlatform{CpuArchitecture: awsecs.CpuArchitecture_X86_64(), OperatingSystemFamily: awsecs.OperatingSystemFamily_LINUX()},
	})
	vars := map[string]*string{"PORT": jsii.String(fmt.Sprint(c.Port))}
	for k, v := range c.Environment {
		vars[k] = jsii.String(v)
	}
	secrets := map[string]awsecs.Secret{}
	for _, k := range sortedKeys(c.Secrets) {
		if name := c.Secrets[k].SecretsManager; name != "" {
			secrets[k] = awsecs.Secret_FromSecretsManager(awssecretsmanager.Secret_FromSecretNameV2(stack, jsii.String("Secret"+k), jsii.String(name)), nil)
		} else {
			secrets[k] = awsecs.Secret_FromSsmParameter(awsssm.StringParameter_FromSecureStringParameterAttributes(stack, jsii.String("Parameter"+k),
				&awsssm.SecureStringParameterAttributes{ParameterName: jsii.String(c.Secrets[k].Parameter)}))
		}
	}
	task.AddContainer(jsii.String("app"), &awsecs.ContainerDefinitionOptions{
		ContainerName: jsii.String("app"),
		Image:         awsecs.ContainerImage_FromAsset(jsii.String(placeholderDir()), &awsecs.AssetImageProps{Platform: awsecrassets.Platform_LINUX_AMD64()}),
		Essential:     jsii.Bool(true),
		PortMappings:  &[]*awsecs.PortMapping{{ContainerPort: jsii.Number(float64(c.Port)), Protocol: awsecs.Protocol_TCP}},
		Environment:   &vars,
		Secrets:       &secrets,
		Logging:       awsecs.LogDrivers_AwsLogs(&awsecs.AwsLogDriverProps{LogGroup: logs, StreamPrefix: jsii.String("app")}),
	})
	repo.GrantPull(task.ObtainExecutionRole())
	serviceSG := awsec2.NewSecurityGroup(stack, jsii.String("ServiceSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc: vpc, Description: jsii.String(name + " tasks"),
	})
	serviceSG.AddIngressRule(albSG, awsec2.Port_Tcp(jsii.Number(float64(c.Port))), jsii.String("from the load balancer"), nil)
	albSG.AddEgressRule(serviceSG, awsec2.Port_Tcp(jsii.Number(float64(c.Port))), jsii.String("to the tasks"), nil)
	service := awsecs.NewFargateService(stack, jsii.String("Service"), &awsecs.FargateServiceProps{
		Cluster: cluster, TaskDefinition: task, ServiceName: jsii.String(name), DesiredCount: jsii.Number(float64(c.DesiredCount)),
		DeploymentController: &awsecs.DeploymentController{Type: awsecs.DeploymentControllerType_CODE_DEPLOY},
		SecurityGroups:       &[]awsec2.ISecurityGroup{serviceSG},
		VpcSubnets:           &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS},
		AssignPublicIp:       jsii.Bool(false), HealthCheckGracePeriod: awscdk.Duration_Seconds(jsii.Number(60)),
		MinHealthyPercent: jsii.Number(100), MaxHealthyPercent: jsii.Number(200), PropagateTags: awsecs.PropagatedTagSource_SERVICE,
	})
	service.AttachToApplicationTargetGroup(blue)
	service.AutoScaleTaskCount(&awsapplicationautoscaling.EnableScalingProps{
		MinCapacity: jsii.Number(float64(c.DesiredCount)), MaxCapacity: jsii.Number(float64(c.DesiredCount)),
	})
	cfn := service.Node().DefaultChild().(awsecs.CfnService)
	cfn.AddPropertyDeletionOverride(jsii.String("DesiredCount"))
	cfn.AddPropertyOverride(jsii.String("TaskDefinition"), name)

	minute := awscdk.Duration_Minutes(jsii.Number(1))
	sum := &awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("Sum")}
	a := env.Alarms
	var alarms []interfacesawscloudwatch.IAlarmRef
	for _, tg := range []struct {
		color string
		group elb.ApplicationTargetGroup
	}{{"blue", blue}, {"green", green}} {
		alarms = append(alarms,
			alarm(stack, "Target5xx"+tg.color, name+"-target-5xx-"+tg.color, tg.group.Metrics().HttpCodeTarget(elb.HttpCodeTarget_TARGET_5XX_COUNT, sum), a.Target5xx, 1),
			alarm(stack, "Unhealthy"+tg.color, name+"-unhealthy-"+tg.color,
				tg.group.Metrics().UnhealthyHostCount(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("Maximum")}), a.UnhealthyHosts, 2))
	}
	alarms = append(alarms,
		alarm(stack, "LoadBalancer5xx", name+"-alb-5xx", lb.Metrics().HttpCodeElb(elb.HttpCodeElb_ELB_5XX_COUNT, sum), a.LoadBalancer5xx, 1),
		alarm(stack, "P99Latency", name+"-p99-latency",
			lb.Metrics().TargetResponseTime(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("p99")}), a.P99LatencySeconds, 1))
	for _, ca := range a.Custom {
		alarms = append(alarms, alarm(stack, "Alarm"+ca.Name, name+"-"+ca.Name, customMetric(ca), ca.Threshold, ca.EvaluationPeriods))
	}
	health(stack, name, alarms)
	var config awscodedeploy.IEcsDeploymentConfig
	if env.Custom == nil {
		config = ecsConfigs[env.Config]()
	}
	if c := env.Custom; c != nil {
		config = awscodedeploy.NewEcsDeploymentConfig(stack, jsii.String("DeploymentConfig"), &awscodedeploy.EcsDeploymentConfigProps{
			DeploymentConfigName: jsii.String(name), TrafficRouting: routing(c),
		})
	}
	deploymentRole := awsiam.NewRole(stack, jsii.String("DeploymentRole"), &awsiam.RoleProps{
		AssumedBy:       awsiam.NewServicePrincipal(jsii.String("codedeploy.amazonaws.com"), nil),
		ManagedPolicies: &[]awsiam.IManagedPolicy{awsiam.ManagedPolicy_FromAwsManagedPolicyName(jsii.String("AWSCodeDeployRoleForECSLimited"))},
	})
	deploymentRole.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:    jsii.Strings("iam:PassRole"),
		Resources:  &[]*string{task.TaskRole().RoleArn(), task.ObtainExecutionRole().RoleArn()},
		Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
	}))
	awscodedeploy.NewEcsDeploymentGroup(stack, jsii.String("DeploymentGroup"), &awscodedeploy.EcsDeploymentGroupProps{
		Application:         awscodedeploy.NewEcsApplication(stack, jsii.String("Application"), &awscodedeploy.EcsApplicationProps{ApplicationName: jsii.String(name)}),
		DeploymentGroupName: jsii.String(name),
		Role:                deploymentRole.WithoutPolicyUpdates(nil),
		Service:             service,
		DeploymentConfig:    config,
		BlueGreenDeploymentConfig: &awscodedeploy.EcsBlueGreenDeploymentConfig{
			BlueTargetGroup: blue, GreenTargetGroup: green, Listener: listener, TestListener: testListener,
			TerminationWaitTime: awscdk.Duration_Minutes(jsii.Number(float64(c.TerminationWaitMinutes))),
		},
		Alarms:       &alarms,
		AutoRollback: &awscodedeploy.AutoRollbackConfig{FailedDeployment: jsii.Bool(true), StoppedDeployment: jsii.Bool(true), DeploymentInAlarm: jsii.Bool(true)},
	})
	awsssm.NewStringParameter(stack, jsii.String("TaskDefinitionParameter"), &awsssm.StringParameterProps{
		ParameterName: jsii.String("/golden-pipelines/" + name + "/task-definition"), StringValue: task.TaskDefinitionArn(),
	})
	url := awsssm.NewStringParameter(stack, jsii.String("URLParameter"), &awsssm.StringParameterProps{
		ParameterName: jsii.String("/golden-pipelines/" + name + "/url"),
		StringValue:   awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("http://"), lb.LoadBalancerDnsName(), jsii.String(fmt.Sprintf(":%d", c.ListenerPort))}),
	})
	awscdk.NewCfnOutput(stack, jsii.String("URL"), &awscdk.CfnOutputProps{Value: url.StringValue()})
	awscdk.NewCfnOutput(stack, jsii.String("VpcId"), &awscdk.CfnOutputProps{Value: vpc.VpcId()})
	var private []*string
	for _, sn := range *vpc.PrivateSubnets() {
		private = append(private, sn.SubnetId())
	}
	awscdk.NewCfnOutput(stack, jsii.String("PrivateSubnetIds"), &awscdk.CfnOutputProps{Value: awscdk.Fn_Join(jsii.String(","), &private)})
}

// appSpec is CodeDeploy's ECS appspec, written out by hand.
func appSpec(port int, hooks [][2]string) string {
	out := fmt.Sprintf("version: \"0.0\"\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n"+
		"        TaskDefinition: <TASK_DEFINITION>\n        LoadBalancerInfo:\n          ContainerName: app\n          ContainerPort: %d\n", port)
	if len(hooks) > 0 {
		out += "Hooks:\n"
		for _, h := range hooks {
			out += "  - " + h[0] + ": " + h[1] + "\n"
		}
	}
	return out
}

func placeholderCode(python bool, service, env string) string {
	msg := service + " has no release in " + env + " yet"
	if python {
		return fmt.Sprintf("def handler(event, context):\n    return {\"statusCode\": 503, \"body\": %q}\n", msg)
	}
	return fmt.Sprintf("exports.handler = async () => ({ statusCode: 503, body: %q });\n", msg)
}

func hookPlaceholder(python bool, service string) string {
	if python {
		return "# " + service + "\nimport boto3\n\n\ndef handler(event, context):\n    boto3.client(\"codedeploy\").put_lifecycle_event_hook_execution_status(\n" +
			"        deploymentId=event[\"DeploymentId\"],\n        lifecycleEventHookExecutionId=event[\"LifecycleEventHookExecutionId\"],\n        status=\"Succeeded\",\n    )\n"
	}
	return "// " + service + "\nconst { CodeDeployClient, PutLifecycleEventHookExecutionStatusCommand } = require(\"@aws-sdk/client-codedeploy\");\n" +
		"const client = new CodeDeployClient({});\nexports.handler = async (event) => {\n  await client.send(new PutLifecycleEventHookExecutionStatusCommand({\n" +
		"    deploymentId: event.DeploymentId,\n    lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId,\n    status: \"Succeeded\",\n  }));\n};\n"
}

const dockerfile = "FROM public.ecr.aws/docker/library/busybox:1.36.1\nENV PORT=8080\n" +
	"CMD [\"sh\", \"-c\", \"while true; do printf 'HTTP/1.0 200 OK\\\\r\\\\n\\\\r\\\\nno release yet\\\\n' | nc -l -p \\\"$PORT\\\" >/dev/null; done\"]\n"

// placeholderDir writes the placeholder image's Dockerfile to a directory named by its content.
func placeholderDir() string {
	sum := sha256.Sum256([]byte(dockerfile))
	dir := filepath.Join(os.TempDir(), "golden-pipelines-baseline-"+hex.EncodeToString(sum[:8]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		panic(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		panic(err)
	}
	return dir
}

// Buildspecs, written out as plain values.

func commands(lines ...[]string) []interface{} {
	var all []string
	for _, l := range lines {
		all = append(all, l...)
	}
	return []interface{}{"(\nset -euo pipefail\n" + strings.Join(all, "\n") + "\n)"}
}

func vars(m map[string]string) map[string]interface{} {
	out := map[string]interface{}{}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out[k] = m[k]
	}
	return out
}

var tagSetup = `export BUILD_TAG="build-${CODEBUILD_BUILD_ID##*:}"`

var tagCheck = []string{
	`case "${CODEBUILD_BUILD_ID:-}" in ?*:?*) ;; *) echo "no build uuid" >&2; exit 1 ;; esac`,
	`echo "release tag: $BUILD_TAG"`,
}

func lambdaBuildSpec(s *Service) map[string]interface{} {
	b := s.Build
	return map[string]interface{}{
		"version": "0.2",
		"env": map[string]interface{}{
			"shell":              "bash",
			"variables":          vars(map[string]string{"SERVICE": s.Name, "PACKAGE_DIR": b.PackageDir, "REPORT_DIR": b.ReportDir}),
			"exported-variables": []interface{}{"BUILD_TAG"},
		},
		"phases": map[string]interface{}{
			"install": map[string]interface{}{
				"runtime-versions": map[string]interface{}{s.Lambda.Language: s.Lambda.Version},
				"commands":         append([]interface{}{tagSetup}, commands(tagCheck, b.Install)...),
			},
			"pre_build": map[string]interface{}{"commands": commands([]string{`mkdir -p "$REPORT_DIR"`}, b.Test)},
			"build": map[string]interface{}{"commands": commands(b.Package, []string{
				`[ -n "$(ls -A "$PACKAGE_DIR")" ] || { echo "empty package" >&2; exit 1; }`,
				`package="$(mktemp -d)/$BUILD_TAG.zip"`,
				`(cd "$PACKAGE_DIR" && find . \( -type f -o -type l \) | LC_ALL=C sort | zip -q -X -@ "$package")`,
				`code_sha256="$(openssl dgst -sha256 -binary "$package" | base64)"`,
				`key="$SERVICE/$BUILD_TAG.zip"`,
				`aws s3api put-object --bucket "$RELEASE_BUCKET" --key "$key" --body "$package" --if-none-match '*' --metadata "build-tag=$BUILD_TAG,code-sha256=$code_sha256" >/dev/null`,
				`printf '{"service":"%s","release":"%s","bucket":"%s","key":"%s","codeSha256":"%s","sourceVersion":"%s"}\n' "$SERVICE" "$BUILD_TAG" "$RELEASE_BUCKET" "$key" "$code_sha256" "${CODEBUILD_RESOLVED_SOURCE_VERSION:-unknown}" > release.json`,
			})},
		},
		"reports":   map[string]interface{}{"unit-tests": map[string]interface{}{"base-directory": b.ReportDir, "files": []interface{}{"**/*.xml"}, "file-format": "JUNITXML"}},
		"artifacts": map[string]interface{}{"files": []interface{}{"release.json"}},
	}
}

func containerBuildSpec(s *Service) map[string]interface{} {
	b, c := s.Build, s.Container
	return map[string]interface{}{
		"version": "0.2",
		"env": map[string]interface{}{
			"shell":              "bash",
			"variables":          vars(map[string]string{"SERVICE": s.Name, "REPORT_DIR": b.ReportDir, "DOCKERFILE": c.Dockerfile, "CONTEXT": c.Context}),
			"exported-variables": []interface{}{"BUILD_TAG"},
		},
		"phases": map[string]interface{}{
			"install":   map[string]interface{}{"commands": append([]interface{}{tagSetup}, commands(tagCheck, b.Install)...)},
			"pre_build": map[string]interface{}{"commands": commands([]string{`mkdir -p "$REPORT_DIR"`}, b.Test)},
			"build": map[string]interface{}{"commands": commands([]string{
				`registry="${REPOSITORY_URI%%/*}"`,
				`repository="${REPOSITORY_URI#*/}"`,
				`aws ecr get-login-password --region "$AWS_REGION" | docker login --username AWS --password-stdin "$registry"`,
				`build_args=()`,
				`if [ -n "${CODEBUILD_SRC_DIR_BaseImage:-}" ]; then`,
				`  base="$(jq -r .ImageURI "$CODEBUILD_SRC_DIR_BaseImage/imageDetail.json")"`,
				`  build_args+=(--build-arg "BASE_IMAGE=$base")`,
				`fi`,
				`image="$REPOSITORY_URI:$BUILD_TAG"`,
				`docker build --file "$DOCKERFILE" --tag "$image" "${build_args[@]}" "$CONTEXT"`,
				`docker push "$image"`,
				`digest="$(aws ecr describe-images --repository-name "$repository" --image-ids imageTag="$BUILD_TAG" --query 'imageDetails[0].imageDigest' --output text)"`,
				`printf '{"ImageURI":"%s@%s"}\n' "$REPOSITORY_URI" "$digest" > imageDetail.json`,
				`printf '{"service":"%s","release":"%s","image":"%s@%s"}\n' "$SERVICE" "$BUILD_TAG" "$REPOSITORY_URI" "$digest" > release.json`,
			})},
		},
		"reports":   map[string]interface{}{"unit-tests": map[string]interface{}{"base-directory": b.ReportDir, "files": []interface{}{"**/*.xml"}, "file-format": "JUNITXML"}},
		"artifacts": map[string]interface{}{"files": []interface{}{"imageDetail.json", "release.json"}},
	}
}

func integrationTestSpec(s *Service) map[string]interface{} {
	t := s.IntegrationTest
	install := map[string]interface{}{"commands": commands([]string{`echo "integration tests of $RELEASE"`}, t.Install)}
	if s.Lambda != nil {
		install["runtime-versions"] = map[string]interface{}{s.Lambda.Language: s.Lambda.Version}
	}
	return map[string]interface{}{
		"version": "0.2",
		"env":     map[string]interface{}{"shell": "bash"},
		"phases":  map[string]interface{}{"install": install, "build": map[string]interface{}{"commands": commands(t.Commands)}},
	}
}

var deploySpec = map[string]interface{}{
	"version": "0.2",
	"env":     map[string]interface{}{"shell": "bash"},
	"phases": map[string]interface{}{"build": map[string]interface{}{"commands": commands([]string{
		`: "${RELEASE:?RELEASE is not set}"`,
		`case "$RELEASE" in build-?*) ;; *) echo "refusing to release '$RELEASE'" >&2; exit 1 ;; esac`,
		`aws s3api head-object --bucket "$RELEASE_BUCKET" --key "$SERVICE/$RELEASE.zip" >/dev/null`,
		`running="$(aws cloudformation describe-stacks --stack-name "$STACK_NAME" --query "Stacks[0].Parameters[?ParameterKey=='Release'].ResolvedValue" --output text)"`,
		`released=""`,
		`restore() { [ -z "$released" ] || return 0; aws ssm put-parameter --name "$RELEASE_PARAMETER" --type String --overwrite --value "$running" >/dev/null || true; }`,
		`trap restore EXIT`,
		`fail() { echo "release of $RELEASE to $ENVIRONMENT failed: $1" >&2; aws cloudformation describe-stack-events --stack-name "$STACK_NAME" --max-items 20 --output text >&2 || true; exit 1; }`,
		`aws ssm put-parameter --name "$RELEASE_PARAMETER" --type String --overwrite --value "$RELEASE" >/dev/null`,
		`keys="$(aws cloudformation describe-stacks --stack-name "$STACK_NAME" --query 'Stacks[0].Parameters[].ParameterKey' --output text)"`,
		`args=(); for p in $keys; do [ "$p" = None ] || args+=("ParameterKey=$p,UsePreviousValue=true"); done`,
		`if ! out="$(aws cloudformation update-stack --stack-name "$STACK_NAME" --use-previous-template --capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM CAPABILITY_AUTO_EXPAND --parameters "${args[@]}" 2>&1)"; then`,
		`  case "$out" in *"No updates are to be performed"*) released=1; exit 0 ;; esac`,
		`  echo "$out" >&2; fail "CloudFormation refused the update"`,
		`fi`,
		`deadline=$((SECONDS + TIMEOUT_MINUTES * 60))`,
		`while :; do`,
		`  status="$(aws cloudformation describe-stacks --stack-name "$STACK_NAME" --query 'Stacks[0].StackStatus' --output text)" || status=UNKNOWN`,
		`  case "$status" in`,
		`    UPDATE_COMPLETE|UPDATE_COMPLETE_CLEANUP_IN_PROGRESS) released=1; exit 0 ;;`,
		`    UPDATE_IN_PROGRESS|UPDATE_ROLLBACK_IN_PROGRESS|UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS|UNKNOWN) ;;`,
		`    UPDATE_ROLLBACK_COMPLETE) fail "the deployment was rolled back" ;;`,
		`    *) fail "the stack is in state $status" ;;`,
		`  esac`,
		`  if [ "$SECONDS" -ge "$deadline" ]; then aws cloudformation cancel-update-stack --stack-name "$STACK_NAME" || true; fail "timeout"; fi`,
		`  sleep "${POLL_SECONDS:-15}"`,
		`done`,
	})}},
}

var prepareSpec = map[string]interface{}{
	"version": "0.2",
	"env":     map[string]interface{}{"shell": "bash"},
	"phases": map[string]interface{}{"build": map[string]interface{}{"commands": commands([]string{
		`: "${RELEASE:?RELEASE is not set}"`,
		`image="$(jq -r .ImageURI imageDetail.json)"`,
		`aws ecs describe-task-definition --task-definition "$TASK_DEFINITION_ARN" --query taskDefinition --output json > current-taskdef.json`,
		`jq --arg image '<IMAGE1_NAME>' 'del(.taskDefinitionArn, .revision, .status, .requiresAttributes, .compatibilities, .registeredAt, .registeredBy, .deregisteredAt) | .containerDefinitions |= map(if .name == "app" then .image = $image else . end)' current-taskdef.json > taskdef.json`,
		`printf '%s\n' "$APPSPEC" > appspec.yaml`,
	})}},
	"artifacts": map[string]interface{}{"files": []interface{}{"taskdef.json", "appspec.yaml", "imageDetail.json"}},
}

var recordSpec = map[string]interface{}{
	"version": "0.2",
	"env":     map[string]interface{}{"shell": "bash"},
	"phases": map[string]interface{}{"build": map[string]interface{}{"commands": commands([]string{
		`image="$(jq -r .ImageURI imageDetail.json)"`,
		`repository="${REPOSITORY_URI#*/}"`,
		`manifest="$(aws ecr batch-get-image --repository-name "$repository" --image-ids imageDigest="${image#*@}" --query 'images[0].imageManifest' --output text)"`,
		`aws ecr put-image --repository-name "$repository" --image-tag "deployed-$ENVIRONMENT-$RELEASE" --image-manifest "$manifest" || true`,
	})}},
}
