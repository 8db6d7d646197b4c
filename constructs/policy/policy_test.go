package policy_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/policy"
	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
	"github.com/golden-pipelines/microservice-pipelines/internal/testenv"
)

// The offending app is synthesized once: every rule has its own stack with resources that
// break it (and, beside them, resources that comply and must not be reported).
var (
	synthError string
	report     validationReport
)

type validationReport struct {
	PluginReports []struct {
		PluginName string `json:"pluginName"`
		Violations []struct {
			RuleName            string `json:"ruleName"`
			Description         string `json:"description"`
			Fix                 string `json:"fix"`
			Severity            string `json:"severity"`
			ViolatingConstructs []struct {
				ConstructPath string `json:"constructPath"`
			} `json:"violatingConstructs"`
		} `json:"violations"`
	} `json:"pluginReports"`
}

const digest = "public.ecr.aws/nginx/nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestMain(m *testing.M) {
	testenv.WithoutValidation()
	dir, err := os.MkdirTemp("", "policy-test-")
	if err != nil {
		panic(err)
	}
	// In-memory mode: the synthesis error carries the whole report, as a test runner shows it.
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(dir), Context: &map[string]interface{}{"@aws-cdk/core:appMode": "inmemory"}})
	policy.Register(app)
	offend(app)
	func() {
		defer func() {
			if r := recover(); r != nil {
				synthError = fmt.Sprint(r)
			}
		}()
		app.Synth(nil)
	}()
	b, err := os.ReadFile(filepath.Join(dir, "validation-report.json"))
	if err == nil {
		err = json.Unmarshal(b, &report)
	}
	code := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, "no validation report:", err)
	} else {
		code = m.Run()
	}
	jsii.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

func stack(app awscdk.App, name string) awscdk.Stack {
	return awscdk.NewStack(app, jsii.String(name), nil)
}

// rotatingKey is a customer-managed key that rotates: what storage must be encrypted with.
func rotatingKey(s awscdk.Stack) awskms.Key {
	return awskms.NewKey(s, jsii.String("Key"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)})
}

// offend builds one stack per rule.
func offend(app awscdk.App) {
	// deployment-group-guarded: no alarms; alarms but no rollback on alarm.
	s := stack(app, "deployment-groups")
	awscodedeploy.NewCfnDeploymentGroup(s, jsii.String("Unguarded"), &awscodedeploy.CfnDeploymentGroupProps{
		ApplicationName: jsii.String("app"), ServiceRoleArn: jsii.String("arn:aws:iam::123456789012:role/codedeploy"),
	})
	awscodedeploy.NewCfnDeploymentGroup(s, jsii.String("NoRollbackOnAlarm"), &awscodedeploy.CfnDeploymentGroupProps{
		ApplicationName: jsii.String("app"), ServiceRoleArn: jsii.String("arn:aws:iam::123456789012:role/codedeploy"),
		AlarmConfiguration: &awscodedeploy.CfnDeploymentGroup_AlarmConfigurationProperty{
			Enabled: jsii.Bool(true), Alarms: &[]interface{}{&awscodedeploy.CfnDeploymentGroup_AlarmProperty{Name: jsii.String("errors")}},
		},
		AutoRollbackConfiguration: &awscodedeploy.CfnDeploymentGroup_AutoRollbackConfigurationProperty{
			Enabled: jsii.Bool(true), Events: jsii.Strings("DEPLOYMENT_FAILURE"),
		},
	})
	awscodedeploy.NewCfnDeploymentGroup(s, jsii.String("UnnamedAlarm"), &awscodedeploy.CfnDeploymentGroupProps{
		ApplicationName: jsii.String("app"), ServiceRoleArn: jsii.String("arn:aws:iam::123456789012:role/codedeploy"),
		AlarmConfiguration: &awscodedeploy.CfnDeploymentGroup_AlarmConfigurationProperty{
			Enabled: jsii.Bool(true), Alarms: &[]interface{}{&awscodedeploy.CfnDeploymentGroup_AlarmProperty{}},
		},
		AutoRollbackConfiguration: &awscodedeploy.CfnDeploymentGroup_AutoRollbackConfigurationProperty{
			Enabled: jsii.Bool(true), Events: jsii.Strings("DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"),
		},
	})
	awscodedeploy.NewCfnDeploymentGroup(s, jsii.String("Guarded"), &awscodedeploy.CfnDeploymentGroupProps{
		ApplicationName: jsii.String("app"), ServiceRoleArn: jsii.String("arn:aws:iam::123456789012:role/codedeploy"),
		AlarmConfiguration: &awscodedeploy.CfnDeploymentGroup_AlarmConfigurationProperty{
			Enabled: jsii.Bool(true), Alarms: &[]interface{}{&awscodedeploy.CfnDeploymentGroup_AlarmProperty{Name: jsii.String("errors")}},
		},
		AutoRollbackConfiguration: &awscodedeploy.CfnDeploymentGroup_AutoRollbackConfigurationProperty{
			Enabled: jsii.Bool(true), Events: jsii.Strings("DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"),
		},
	})

	// immutable-images: latest, no tag; a digest is fine.
	s = stack(app, "images")
	for id, image := range map[string]string{"Latest": "nginx:latest", "Untagged": "nginx", "Pinned": digest,
		"FromParameter": *awscdk.NewCfnParameter(s, jsii.String("Image"), &awscdk.CfnParameterProps{Default: jsii.String(digest)}).ValueAsString()} {
		td := awsecs.NewFargateTaskDefinition(s, jsii.String(id), nil)
		td.AddContainer(jsii.String("app"), &awsecs.ContainerDefinitionOptions{Image: awsecs.ContainerImage_FromRegistry(jsii.String(image), nil)})
	}

	// A golden rule cannot be acknowledged away, not even on the offending stack.
	awscdk.Validations_Of(s).Acknowledge(&awscdk.Acknowledgment{Id: jsii.String("golden-pipelines::immutable-images"), Reason: jsii.String("trying to switch the rule off")})

	// ecr-immutable-scanned (and storage-encrypted: the default is AES256).
	s = stack(app, "repositories")
	awsecr.NewRepository(s, jsii.String("Mutable"), nil)
	awsecr.NewRepository(s, jsii.String("Golden"), &awsecr.RepositoryProps{
		ImageTagMutability: awsecr.TagMutability_IMMUTABLE, ImageScanOnPush: jsii.Bool(true),
		Encryption: awsecr.RepositoryEncryption_KMS(), EncryptionKey: rotatingKey(s),
	})

	// pre-production-before-production: production first; images-scanned-before-deploy: no scan.
	s = stack(app, "pipelines")
	// prepare is the CodeBuild action of a container stage: it declares its target's role.
	prepare := func(role string) map[string]interface{} {
		vars, _ := json.Marshal([]map[string]string{{"name": "TARGET_ROLE", "type": "PLAINTEXT", "value": role}})
		return map[string]interface{}{
			"Name":          "Prepare",
			"ActionTypeId":  map[string]interface{}{"Category": "Build", "Owner": "AWS", "Provider": "CodeBuild", "Version": "1"},
			"Configuration": map[string]interface{}{"ProjectName": "prepare", "EnvironmentVariables": string(vars)},
		}
	}
	ecsDeploy := func(app string) map[string]interface{} {
		return map[string]interface{}{
			"Name":         "Deploy",
			"ActionTypeId": map[string]interface{}{"Category": "Deploy", "Owner": "AWS", "Provider": "CodeDeployToECS", "Version": "1"},
			"Configuration": map[string]interface{}{
				"ApplicationName": "svc-" + app, "DeploymentGroupName": "svc-" + app,
				"TaskDefinitionTemplateArtifact": "Prepared", "AppSpecTemplateArtifact": "Prepared",
				"Image1ArtifactName": "Prepared", "Image1ContainerName": "IMAGE1_NAME",
			},
		}
	}
	// ecs is a container stage: its prepare step declares the role, CodeDeploy deploys.
	ecs := func(role string) []interface{} { return []interface{}{prepare(role), ecsDeploy(role)} }
	scan := []interface{}{map[string]interface{}{
		"Name":          "ImageScan",
		"ActionTypeId":  map[string]interface{}{"Category": "Invoke", "Owner": "AWS", "Provider": "InspectorScan", "Version": "1"},
		"Configuration": map[string]interface{}{"InspectorRunMode": "ECRImageScan", "ECRRepositoryName": "svc", "ImageTag": "#{Build.BUILD_TAG}", "CriticalThreshold": 0},
	}}
	source := []interface{}{map[string]interface{}{
		"Name":          "Source",
		"ActionTypeId":  map[string]interface{}{"Category": "Source", "Owner": "AWS", "Provider": "S3", "Version": "1"},
		"Configuration": map[string]interface{}{"S3Bucket": "sources", "S3ObjectKey": "svc.zip"},
	}}
	type stage struct {
		name    string
		actions []interface{}
	}
	pipeline := func(id string, stages ...stage) {
		var list []interface{}
		for _, st := range stages {
			list = append(list, map[string]interface{}{"Name": st.name, "Actions": st.actions})
		}
		// The stages as CloudFormation writes them (raw, like the actions the rules read).
		p := awscodepipeline.NewCfnPipeline(s, jsii.String(id), &awscodepipeline.CfnPipelineProps{
			RoleArn: jsii.String("arn:aws:iam::123456789012:role/pipeline"), Stages: &[]interface{}{},
			ArtifactStore: &awscodepipeline.CfnPipeline_ArtifactStoreProperty{Type: jsii.String("S3"), Location: jsii.String("artifacts")},
		})
		p.AddPropertyOverride(jsii.String("Stages"), list)
	}
	pre, prod := spec.RolePreProduction, spec.RoleProduction
	pipeline("ProductionFirst", stage{"Source", source}, stage{"Scan", scan},
		stage{"Production", ecs(prod)}, stage{"Staging", ecs(pre)})
	pipeline("Unscanned", stage{"Source", source}, stage{"Staging", ecs(pre)}, stage{"Production", ecs(prod)})
	pipeline("Golden", stage{"Source", source}, stage{"Scan", scan}, stage{"Staging", ecs(pre)}, stage{"Production", ecs(prod)})
	// Names are not read: a stage called Production that deploys to pre-production, then
	// production in stages named otherwise, complies.
	pipeline("NamedOtherwise", stage{"Source", source}, stage{"Scan", scan},
		stage{"Production", ecs(pre)}, stage{"Live-eu", ecs(prod)}, stage{"Live-us", ecs(prod)})
	// One stage deploying to pre-production and production at once: production did not wait.
	pipeline("SameStage", stage{"Source", source}, stage{"Scan", scan},
		stage{"Everything", append(ecs(pre), prepare(prod))})
	// A scan without thresholds never fails.
	toothless := []interface{}{map[string]interface{}{"Name": "ImageScan", "ActionTypeId": scan[0].(map[string]interface{})["ActionTypeId"],
		"Configuration": map[string]interface{}{"InspectorRunMode": "ECRImageScan", "ECRRepositoryName": "svc", "ImageTag": "#{Build.BUILD_TAG}"}}}
	pipeline("ToothlessScan", stage{"Source", source}, stage{"Scan", toothless}, stage{"Staging", ecs(pre)}, stage{"Production", ecs(prod)})
	// The image named in the task definition template instead of the pinned imageDetail.json.
	unpinned := ecs(pre)
	delete(unpinned[1].(map[string]interface{})["Configuration"].(map[string]interface{}), "Image1ArtifactName")
	pipeline("ImageFromTemplate", stage{"Source", source}, stage{"Scan", scan}, stage{"Staging", unpinned}, stage{"Production", ecs(prod)})
	// A role that is none (a typo): it counts as neither.
	pipeline("UnknownRole", stage{"Source", source}, stage{"Scan", scan}, stage{"Staging", ecs(pre)}, stage{"Production", ecs("prod")})
	// A deploying stage that declares no role: whether it is production cannot be told.
	pipeline("UnknownTarget", stage{"Source", source}, stage{"Scan", scan},
		stage{"Staging", []interface{}{ecsDeploy("blue")}}, stage{"Production", ecs(prod)})
	// Lambda-style deploy steps: CodeBuild projects that declare TARGET_ROLE on the project.
	project := func(id, role string) []interface{} {
		p := awscodebuild.NewCfnProject(s, jsii.String(id), &awscodebuild.CfnProjectProps{
			Artifacts:   &awscodebuild.CfnProject_ArtifactsProperty{Type: jsii.String("CODEPIPELINE")},
			Source:      &awscodebuild.CfnProject_SourceProperty{Type: jsii.String("CODEPIPELINE"), BuildSpec: jsii.String("version: 0.2")},
			ServiceRole: jsii.String("arn:aws:iam::123456789012:role/codebuild"),
			Environment: &awscodebuild.CfnProject_EnvironmentProperty{
				ComputeType: jsii.String("BUILD_GENERAL1_SMALL"), Image: jsii.String("aws/codebuild/standard:7.0"), Type: jsii.String("LINUX_CONTAINER"),
				EnvironmentVariables: &[]interface{}{&awscodebuild.CfnProject_EnvironmentVariableProperty{Name: jsii.String("TARGET_ROLE"), Value: jsii.String(role)}},
			},
			LogsConfig: &awscodebuild.CfnProject_LogsConfigProperty{CloudWatchLogs: &awscodebuild.CfnProject_CloudWatchLogsConfigProperty{
				Status: jsii.String("ENABLED"), GroupName: awslogs.NewLogGroup(s, jsii.String(id+"Logs"), &awslogs.LogGroupProps{Retention: awslogs.RetentionDays_ONE_WEEK}).LogGroupName(),
			}},
		})
		return []interface{}{map[string]interface{}{
			"Name":          "Deploy",
			"ActionTypeId":  map[string]interface{}{"Category": "Build", "Owner": "AWS", "Provider": "CodeBuild", "Version": "1"},
			"Configuration": map[string]interface{}{"ProjectName": map[string]interface{}{"Ref": s.GetLogicalId(p)}},
		}}
	}
	pipeline("LambdaProductionFirst", stage{"Source", source},
		stage{"Production", project("DeployProduction", prod)}, stage{"Staging", project("DeployStaging", pre)})

	// iam-wildcards.
	s = stack(app, "iam")
	role := awsiam.NewRole(s, jsii.String("Admin"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil)})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings("s3:*"), Resources: jsii.Strings("*")}))
	role = awsiam.NewRole(s, jsii.String("PassAnything"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil)})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings("iam:PassRole"), Resources: jsii.Strings("*")}))
	role = awsiam.NewRole(s, jsii.String("AnyLogGroup"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil)})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings("logs:PutLogEvents"),
		Resources: jsii.Strings("arn:aws:logs:eu-west-1:123456789012:log-group:*")}))
	role = awsiam.NewRole(s, jsii.String("FromParameter"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil)})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings("s3:GetObject"),
		Resources: &[]*string{awscdk.NewCfnParameter(s, jsii.String("Objects"), nil).ValueAsString()}}))
	// The L2 refuses ?, the template does not (IAM's single-character wildcard).
	awsiam.NewCfnPolicy(s, jsii.String("QuestionMark"), &awsiam.CfnPolicyProps{
		PolicyName: jsii.String("question-mark"), Roles: jsii.Strings("app"),
		PolicyDocument: map[string]interface{}{"Version": "2012-10-17", "Statement": []interface{}{
			map[string]interface{}{"Effect": "Allow", "Action": "iam:PassRol?", "Resource": "arn:aws:iam::123456789012:role/app"},
		}},
	})
	key := awskms.NewKey(s, jsii.String("SharedKey"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)}) // the default policy: kms:* to the account root
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings("kms:*"), Resources: jsii.Strings("*"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewArnPrincipal(jsii.String("arn:aws:iam::210987654321:role/partner"))}}), nil)
	// Keys by alias: the account's keys only with the condition naming one alias.
	role = awsiam.NewRole(s, jsii.String("AnyKey"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil)})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings("kms:Decrypt"),
		Resources: jsii.Strings("arn:aws:kms:us-east-1:111111111111:key/*")}))
	role = awsiam.NewRole(s, jsii.String("KeyByAlias"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil)})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings("kms:Decrypt"),
		Resources:  jsii.Strings("arn:aws:kms:us-east-1:111111111111:key/*"),
		Conditions: &map[string]interface{}{"ForAnyValue:StringEquals": map[string]interface{}{"kms:ResourceAliases": "alias/golden-pipelines/svc"}}}))
	role = awsiam.NewRole(s, jsii.String("KeyByAnyAlias"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil)})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings("kms:Decrypt"),
		Resources:  jsii.Strings("arn:aws:kms:us-east-1:111111111111:key/*"),
		Conditions: &map[string]interface{}{"ForAnyValue:StringEquals": map[string]interface{}{"kms:ResourceAliases": "alias/*"}}}))
	// The objects of a bucket named literally (in another account or region).
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings("s3:GetObject"),
		Resources: jsii.Strings("arn:aws:s3:::artifacts-bucket-1234/*")}))
	role = awsiam.NewRole(s, jsii.String("Scoped"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil)})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings("ecr:GetAuthorizationToken"), Resources: jsii.Strings("*")}))

	// no-plain-secrets.
	s = stack(app, "secrets")
	awslambda.NewFunction(s, jsii.String("PlainPassword"), &awslambda.FunctionProps{
		Runtime: awslambda.Runtime_NODEJS_22_X(), Handler: jsii.String("index.handler"), Code: awslambda.Code_FromInline(jsii.String("exports.handler = async () => 1")),
		Environment: &map[string]*string{"DB_PASSWORD": jsii.String("hunter2"), "LOG_LEVEL": jsii.String("info"), "DB_SECRET_ARN": jsii.String("arn:aws:secretsmanager:eu-west-1:123456789012:secret:db")},
	})
	td := awsecs.NewFargateTaskDefinition(s, jsii.String("AccessKeyInEnvironment"), nil)
	td.AddContainer(jsii.String("app"), &awsecs.ContainerDefinitionOptions{
		Image: awsecs.ContainerImage_FromRegistry(jsii.String(digest), nil), Environment: &map[string]*string{"UPSTREAM": jsii.String("AKIAIOSFODNN7EXAMPLE")},
	})

	awscodebuild.NewPipelineProject(s, jsii.String("BuildWithToken"), &awscodebuild.PipelineProjectProps{
		EnvironmentVariables: &map[string]*awscodebuild.BuildEnvironmentVariable{
			"NPM_TOKEN":    {Value: jsii.String("npm_abcdefghijklmnop")},
			"GITHUB_TOKEN": {Value: jsii.String("/ci/github-token"), Type: awscodebuild.BuildEnvironmentVariableType_PARAMETER_STORE},
		},
		Logging: &awscodebuild.LoggingOptions{CloudWatch: &awscodebuild.CloudWatchLoggingOptions{
			LogGroup: awslogs.NewLogGroup(s, jsii.String("BuildLogs"), &awslogs.LogGroupProps{Retention: awslogs.RetentionDays_ONE_MONTH}),
		}},
	})

	// privileged-builds (logging to a retained log group, so only this rule breaks).
	s = stack(app, "builds")
	logs := awslogs.NewLogGroup(s, jsii.String("Logs"), &awslogs.LogGroupProps{Retention: awslogs.RetentionDays_ONE_MONTH})
	for id, commands := range map[string]string{"PrivilegedEcho": "echo hello", "SaysDockerBuild": "echo skip docker build", "DockerBuild": "docker build -t app ."} {
		awscodebuild.NewPipelineProject(s, jsii.String(id), &awscodebuild.PipelineProjectProps{
			Environment: &awscodebuild.BuildEnvironment{Privileged: jsii.Bool(true)},
			BuildSpec: awscodebuild.BuildSpec_FromObject(&map[string]interface{}{
				"version": "0.2", "phases": map[string]interface{}{"build": map[string]interface{}{"commands": []string{commands}}},
			}),
			Logging: &awscodebuild.LoggingOptions{CloudWatch: &awscodebuild.CloudWatchLoggingOptions{LogGroup: logs}},
		})
	}

	// storage-encrypted, buckets-ssl-only.
	s = stack(app, "storage")
	key = rotatingKey(s)
	awss3.NewBucket(s, jsii.String("S3Managed"), &awss3.BucketProps{Encryption: awss3.BucketEncryption_S3_MANAGED, EnforceSSL: jsii.Bool(true)})
	awss3.NewBucket(s, jsii.String("PlainHTTP"), &awss3.BucketProps{Encryption: awss3.BucketEncryption_KMS, EncryptionKey: key})
	awss3.NewBucket(s, jsii.String("Golden"), &awss3.BucketProps{Encryption: awss3.BucketEncryption_KMS, EncryptionKey: key, EnforceSSL: jsii.Bool(true)})
	narrow := awss3.NewBucket(s, jsii.String("DeniesOneAction"), &awss3.BucketProps{Encryption: awss3.BucketEncryption_KMS, EncryptionKey: key})
	narrow.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Effect: awsiam.Effect_DENY, Actions: jsii.Strings("s3:DeleteBucket"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()}, Resources: &[]*string{narrow.BucketArn()},
		Conditions: &map[string]interface{}{"Bool": map[string]interface{}{"aws:SecureTransport": "false"}}}))
	self := awss3.NewBucket(s, jsii.String("LogsToItself"), &awss3.BucketProps{Encryption: awss3.BucketEncryption_S3_MANAGED, EnforceSSL: jsii.Bool(true)})
	self.Node().DefaultChild().(awss3.CfnBucket).AddPropertyOverride(jsii.String("LoggingConfiguration"), map[string]interface{}{"DestinationBucketName": map[string]interface{}{"Ref": s.GetLogicalId(self.Node().DefaultChild().(awss3.CfnBucket))}})
	awssns.NewTopic(s, jsii.String("Unencrypted"), nil)
	awssns.NewTopic(s, jsii.String("Encrypted"), &awssns.TopicProps{MasterKey: key})

	// log-retention.
	s = stack(app, "logs")
	awslogs.NewLogGroup(s, jsii.String("Forever"), &awslogs.LogGroupProps{Retention: awslogs.RetentionDays_INFINITE})
	awscodebuild.NewPipelineProject(s, jsii.String("DefaultLogging"), nil)
}

// violations are the violating construct paths by rule.
func violations(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, p := range report.PluginReports {
		if p.PluginName != policy.PluginName {
			continue
		}
		for _, v := range p.Violations {
			if v.Severity != "fatal" {
				t.Errorf("%s: severity %q, want fatal (an error could be acknowledged)", v.RuleName, v.Severity)
			}
			for _, c := range v.ViolatingConstructs {
				out[v.RuleName] = append(out[v.RuleName], c.ConstructPath)
			}
			sort.Strings(out[v.RuleName])
		}
	}
	return out
}

// Each rule reports exactly its offending resources, by construct path, and nothing that
// complies.
func TestEachRuleFailsItsOffendingStack(t *testing.T) {
	want := map[string][]string{
		"deployment-group-guarded": {"deployment-groups/NoRollbackOnAlarm", "deployment-groups/Unguarded", "deployment-groups/UnnamedAlarm"},
		"immutable-images": {"images/FromParameter/Resource", "images/Latest/Resource", "images/Untagged/Resource",
			"pipelines/ImageFromTemplate"},
		"ecr-immutable-scanned": {"repositories/Mutable/Resource"},
		// UnknownTarget twice: its undeclared target, and its production deployment after no pre-production.
		"pre-production-before-production": {"pipelines/LambdaProductionFirst", "pipelines/ProductionFirst", "pipelines/SameStage",
			"pipelines/UnknownRole", "pipelines/UnknownTarget", "pipelines/UnknownTarget"},
		"images-scanned-before-deploy": {"pipelines/ToothlessScan", "pipelines/Unscanned"},
		"iam-wildcards": {"iam/Admin/DefaultPolicy/Resource", "iam/AnyKey/DefaultPolicy/Resource", "iam/AnyLogGroup/DefaultPolicy/Resource",
			"iam/FromParameter/DefaultPolicy/Resource", "iam/KeyByAnyAlias/DefaultPolicy/Resource",
			"iam/PassAnything/DefaultPolicy/Resource", "iam/QuestionMark", "iam/SharedKey/Resource"},
		"no-plain-secrets":  {"secrets/AccessKeyInEnvironment/Resource", "secrets/BuildWithToken/Resource", "secrets/PlainPassword/Resource"},
		"privileged-builds": {"builds/PrivilegedEcho/Resource", "builds/SaysDockerBuild/Resource"},
		"storage-encrypted": {"repositories/Mutable/Resource", "storage/LogsToItself/Resource", "storage/S3Managed/Resource", "storage/Unencrypted/Resource"},
		"buckets-ssl-only":  {"storage/DeniesOneAction/Resource", "storage/PlainHTTP/Resource"},
		"log-retention":     {"logs/DefaultLogging/Resource", "logs/Forever/Resource", "secrets/PlainPassword/Resource"},
	}
	got := violations(t)
	for _, r := range policy.Rules() {
		if _, ok := want[r.ID]; !ok {
			t.Errorf("rule %s has no offending stack in this test", r.ID)
		}
	}
	for rule, paths := range want {
		if !slices.Equal(got[rule], paths) {
			t.Errorf("%s: violating constructs %v, want %v", rule, got[rule], paths)
		}
	}
	for rule := range got {
		if _, ok := want[rule]; !ok {
			t.Errorf("unexpected rule %s: %v", rule, got[rule])
		}
	}
}

// The synthesis fails (an error, not a warning), and its message names for each violation the
// construct path, the rule and the fix.
func TestSynthFailsWithPathRuleAndFix(t *testing.T) {
	if synthError == "" {
		t.Fatal("the synthesis of the offending app succeeded")
	}
	for _, r := range policy.Rules() {
		for _, want := range []string{r.Description, "Suggested fix: " + r.Fix, "golden-pipelines::" + r.ID} {
			if !strings.Contains(synthError, want) {
				t.Errorf("synth error lacks %q", want)
			}
		}
	}
	for _, path := range []string{"images/Latest/Resource", "pipelines/ProductionFirst", "iam/Admin/DefaultPolicy/Resource"} {
		if !strings.Contains(synthError, path) {
			t.Errorf("synth error does not name %s", path)
		}
	}
}

// ImageProblem: digests, build tags, CDK asset hashes and the pipeline placeholder are
// immutable; latest, no tag and any other tag are not.
func TestImageProblem(t *testing.T) {
	for image, ok := range map[string]bool{
		digest: true,
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com/svc:build-0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b":                                                      true,
		"<AWS::AccountId>.dkr.ecr.<AWS::Region>.<AWS::URLSuffix>/cdk-hnb659fds-container-assets-<AWS::AccountId>-<AWS::Region>:" + strings.Repeat("a", 64): true,
		"<IMAGE1_NAME>":           false, // only the run-time taskdef.json has it
		"nginx":                   false,
		"nginx:1.27":              false,
		"repo:build-latest":       false,
		"localhost:5000/app":      false,
		"localhost:5000/app:prod": false,
	} {
		if got := policy.ImageProblem(image) == ""; got != ok {
			t.Errorf("ImageProblem(%q) = %q, want immutable=%v", image, policy.ImageProblem(image), ok)
		}
	}
}
