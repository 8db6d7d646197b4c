package test

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/pipeline"
	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
	"github.com/golden-pipelines/microservice-pipelines/stacks"
)

func pipelineStages(t *testing.T, app *synthesized, stack string) []map[string]interface{} {
	t.Helper()
	_, p := app.only(t, stack, "AWS::CodePipeline::Pipeline")
	var out []map[string]interface{}
	for _, s := range props(p)["Stages"].([]interface{}) {
		out = append(out, s.(map[string]interface{}))
	}
	return out
}

func stageNames(stages []map[string]interface{}) []string {
	var out []string
	for _, s := range stages {
		out = append(out, s["Name"].(string))
	}
	return out
}

func TestPipelineShapeWithAndWithoutApproval(t *testing.T) {
	cases := map[string]string{
		"orders-pipeline":   "Source Build Staging ApproveProduction Production",
		"payments-pipeline": "Source Build Staging Production",
	}
	for stack, want := range cases {
		got := strings.Join(stageNames(pipelineStages(t, fixture, stack)), " ")
		if got != want {
			t.Errorf("%s stages: got %q, want %q", stack, got, want)
		}
	}
	assert(t, "pipeline V2, queued", func() {
		fixture.template(t, "orders-pipeline").HasResourceProperties(jsii.String("AWS::CodePipeline::Pipeline"), &m{
			"Name": "orders", "PipelineType": "V2", "ExecutionMode": "QUEUED",
			"Stages": assertions.Match_ArrayWith(&a{m{
				"Name": "ApproveProduction",
				"Actions": a{assertions.Match_ObjectLike(&m{
					"Name":          "PromoteToProduction",
					"ActionTypeId":  m{"Category": "Approval", "Owner": "AWS", "Provider": "Manual", "Version": "1"},
					"Configuration": m{"CustomData": assertions.Match_StringLikeRegexp(jsii.String(`#\{Build\.BUILD_TAG\}`))},
				})},
			}}),
		})
	})
}

// Staging deploys, then runs the integration tests; production deploys; every deploy and test
// action gets the build tag the build exported, and its pipeline execution (which a deploy step
// stops when the service stack is not deployed yet).
func TestStagesCarryTheBuildTag(t *testing.T) {
	stages := pipelineStages(t, fixture, "orders-pipeline")
	actions := map[string][]string{}
	for _, s := range stages {
		for _, act := range s["Actions"].([]interface{}) {
			act := act.(map[string]interface{})
			name := s["Name"].(string) + "/" + act["Name"].(string)
			actions[s["Name"].(string)] = append(actions[s["Name"].(string)], act["Name"].(string))
			cfg, _ := act["Configuration"].(map[string]interface{})
			if s["Name"] == "Staging" || s["Name"] == "Production" {
				var vars []map[string]string
				if err := json.Unmarshal([]byte(cfg["EnvironmentVariables"].(string)), &vars); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				want := `[{"name":"PIPELINE_EXECUTION_ID","type":"PLAINTEXT","value":"#{codepipeline.PipelineExecutionId}"},` +
					`{"name":"RELEASE","type":"PLAINTEXT","value":"#{Build.BUILD_TAG}"}]`
				if got := jsonString(t, vars); got != want {
					t.Errorf("%s: environment %s, want %s", name, got, want)
				}
			}
			if s["Name"] == "Build" && act["Namespace"] != "Build" {
				t.Errorf("build action namespace %v, want Build", act["Namespace"])
			}
		}
	}
	if got := strings.Join(actions["Staging"], ","); got != "Deploy,IntegrationTest" {
		t.Errorf("staging actions %s, want Deploy then IntegrationTest", got)
	}
	if got := strings.Join(actions["Production"], ","); got != "Deploy" {
		t.Errorf("production actions %s", got)
	}
	// The integration test runs after the deployment (a later run order) and a failure stops
	// the stage, so production is never reached.
	for _, s := range stages {
		if s["Name"] != "Staging" {
			continue
		}
		order := map[string]float64{}
		for _, act := range s["Actions"].([]interface{}) {
			act := act.(map[string]interface{})
			order[act["Name"].(string)] = act["RunOrder"].(float64)
		}
		if order["IntegrationTest"] <= order["Deploy"] {
			t.Errorf("integration test run order %v is not after deploy %v", order["IntegrationTest"], order["Deploy"])
		}
	}
	// A service without integration test commands has no such action or project.
	if got := strings.Join(stageNames(pipelineStages(t, variants, "cfg0-pipeline")), " "); got != "Source Build Staging ApproveProduction Production" {
		t.Errorf("cfg0 stages %s", got)
	}
	for _, p := range variants.resources(t, "cfg0-pipeline", "AWS::CodeBuild::Project") {
		if props(p)["Name"] == "cfg0-integration-test-staging" {
			t.Error("cfg0 has no integration test commands but got an integration test project")
		}
	}
}

// CodeCommit starts the pipeline through an EventBridge rule, never by polling.
func TestSourceIsEventDriven(t *testing.T) {
	tpl := fixture.template(t, "payments-pipeline")
	assert(t, "source action does not poll", func() {
		tpl.HasResourceProperties(jsii.String("AWS::CodePipeline::Pipeline"), &m{
			"Stages": assertions.Match_ArrayWith(&a{m{"Name": "Source", "Actions": a{assertions.Match_ObjectLike(&m{
				"ActionTypeId": m{"Category": "Source", "Owner": "AWS", "Provider": "CodeCommit", "Version": "1"},
				"Configuration": m{
					"RepositoryName": "payments-service", "BranchName": "release", "PollForSourceChanges": false,
				},
			})}}}),
		})
	})
	assert(t, "EventBridge rule on the branch", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), &m{
			"EventPattern": m{
				"source":      a{"aws.codecommit"},
				"detail-type": a{"CodeCommit Repository State Change"},
				"detail":      m{"event": a{"referenceCreated", "referenceUpdated"}, "referenceName": a{"release"}},
			},
			"State": "ENABLED",
		})
	})
}

// The artifact and package buckets are KMS-encrypted with a rotating key, SSL-only, private,
// versioned, and old artifacts expire.
func TestBucketsAreEncryptedPrivateAndSSLOnly(t *testing.T) {
	tpl := fixture.template(t, "orders-pipeline")
	assert(t, "key rotates", func() {
		tpl.HasResourceProperties(jsii.String("AWS::KMS::Key"), &m{"EnableKeyRotation": true})
	})
	keyID, _ := fixture.pipelineKey(t, "orders")
	buckets := fixture.resources(t, "orders-pipeline", "AWS::S3::Bucket")
	accessLogs := fixture.logicalID(t, fixture.service(t, "orders").Pipeline.AccessLogs)
	if len(buckets) != 3 || buckets[accessLogs] == nil {
		t.Fatalf("want the artifact, package and access-log buckets, have %d buckets", len(buckets))
	}
	assert(t, "the access-log bucket: S3-managed keys (log delivery supports no KMS), private, SSL only", func() {
		tpl.HasResourceProperties(jsii.String("AWS::S3::Bucket"), &m{
			"BucketEncryption": m{"ServerSideEncryptionConfiguration": a{m{"ServerSideEncryptionByDefault": m{"SSEAlgorithm": "AES256"}}}},
			"PublicAccessBlockConfiguration": m{
				"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
			},
			"LifecycleConfiguration": m{"Rules": a{assertions.Match_ObjectLike(&m{"ExpirationInDays": 30})}},
		})
	})
	delete(buckets, accessLogs)
	for id := range buckets {
		assert(t, id+" logs its access", func() {
			tpl.HasResourceProperties(jsii.String("AWS::S3::Bucket"), &m{
				"LoggingConfiguration": m{"DestinationBucketName": m{"Ref": accessLogs}, "LogFilePrefix": assertions.Match_AnyValue()},
				"BucketEncryption":     assertions.Match_ObjectLike(&m{}),
			})
		})
	}
	for id := range buckets {
		assert(t, id+" encryption and access", func() {
			tpl.HasResource(jsii.String("AWS::S3::Bucket"), &m{
				"Properties": assertions.Match_ObjectLike(&m{
					"BucketEncryption": m{"ServerSideEncryptionConfiguration": a{m{
						"BucketKeyEnabled": true,
						"ServerSideEncryptionByDefault": m{
							"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": m{"Fn::GetAtt": a{keyID, "Arn"}},
						},
					}}},
					"PublicAccessBlockConfiguration": m{
						"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
					},
					"VersioningConfiguration": m{"Status": "Enabled"},
				}),
				"DeletionPolicy": "Retain",
			})
		})
		assert(t, id+" denies non-SSL requests", func() {
			tpl.HasResourceProperties(jsii.String("AWS::S3::BucketPolicy"), &m{
				"Bucket": m{"Ref": id},
				"PolicyDocument": m{"Statement": assertions.Match_ArrayWith(&a{assertions.Match_ObjectLike(&m{
					"Effect": "Deny", "Action": "s3:*",
					"Condition": m{"Bool": m{"aws:SecureTransport": "false"}},
				})})},
			})
		})
	}
	assert(t, "artifacts expire after 30 days", func() {
		tpl.HasResourceProperties(jsii.String("AWS::S3::Bucket"), &m{
			"LifecycleConfiguration": m{"Rules": a{assertions.Match_ObjectLike(&m{"ExpirationInDays": 30, "Status": "Enabled"})}},
		})
	})
	_, pipeline := fixture.only(t, "orders-pipeline", "AWS::CodePipeline::Pipeline")
	store := jsonString(t, props(pipeline)["ArtifactStore"])
	if !strings.Contains(store, `"Type":"KMS"`) {
		t.Errorf("artifact store is not KMS-encrypted: %s", store)
	}
}

// The build project is unprivileged, publishes the unit-test report group, may write only the
// service's prefix of the package bucket, and exports the build tag.
func TestBuildProject(t *testing.T) {
	tpl := fixture.template(t, "orders-pipeline")
	assert(t, "unprivileged standard image", func() {
		tpl.HasResourceProperties(jsii.String("AWS::CodeBuild::Project"), &m{
			"Name": "orders-build",
			"Environment": assertions.Match_ObjectLike(&m{
				"Image": "aws/codebuild/standard:7.0", "PrivilegedMode": false, "ComputeType": "BUILD_GENERAL1_SMALL",
			}),
			"TimeoutInMinutes": 30,
		})
	})
	bs := buildSpec(t, fixture, "orders-pipeline", "orders-build")
	env := bs["env"].(map[string]interface{})
	if got := jsonString(t, env["exported-variables"]); got != `["BUILD_TAG"]` {
		t.Errorf("exported variables %s", got)
	}
	if env["shell"] != "bash" {
		t.Errorf("shell %v, want bash", env["shell"])
	}
	report := jsonString(t, bs["reports"])
	if !strings.Contains(report, `"file-format":"JUNITXML"`) || !strings.Contains(report, `"unit-tests"`) {
		t.Errorf("reports %s", report)
	}
	assert(t, "report group permissions", func() {
		tpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), &m{
			"PolicyDocument": m{"Statement": assertions.Match_ArrayWith(&a{assertions.Match_ObjectLike(&m{
				"Action": assertions.Match_ArrayWith(&a{"codebuild:BatchPutTestCases"}),
			})})},
		})
	})
	packages := packageBucketID(t, fixture, "orders-pipeline")
	assert(t, "writes only its own prefix", func() {
		tpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), &m{
			"PolicyDocument": m{"Statement": assertions.Match_ArrayWith(&a{assertions.Match_ObjectLike(&m{
				"Action":   assertions.Match_ArrayWith(&a{"s3:PutObject"}),
				"Resource": m{"Fn::Join": a{"", a{m{"Fn::GetAtt": a{packages, "Arn"}}, "/orders/*"}}},
			})})},
		})
	})
}

func packageBucketID(t *testing.T, app *synthesized, stack string) string {
	t.Helper()
	for id := range app.resources(t, stack, "AWS::S3::Bucket") {
		if strings.Contains(id, "Packages") {
			return id
		}
	}
	t.Fatalf("%s: no package bucket", stack)
	return ""
}

// Each deploy project may move only its environment's release parameter, update only its
// service stack, pass only the CDK execution role to CloudFormation, and waits long enough for
// the slowest traffic shift.
func TestDeployProjectsAreScopedToTheirEnvironment(t *testing.T) {
	tpl := fixture.template(t, "orders-pipeline")
	// The step waits for the shift, 30 minutes for the update, an hour for each hook (CodeDeploy
	// waits that long for a hook's status: "AppSpec 'hooks' section", CodeDeploy User Guide);
	// the project adds 15 minutes for a busy stack, 15 to settle and 5 of slack.
	// Production bakes 30 minutes inside the update (its rollback trigger's monitoring time).
	for _, c := range []struct {
		env, role string
		timeout   float64
	}{
		{"staging", spec.RolePreProduction, 0 + 30 + 60},        // AllAtOnce, one hook
		{"production", spec.RoleProduction, 5 + 30 + 2*60 + 30}, // Canary10Percent5Minutes, two hooks, a bake
	} {
		assert(t, c.env+" deploy project", func() {
			tpl.HasResourceProperties(jsii.String("AWS::CodeBuild::Project"), &m{
				"Name":             "orders-deploy-" + c.env,
				"TimeoutInMinutes": 15 + c.timeout + 15 + 5,
				"Environment": assertions.Match_ObjectLike(&m{
					"PrivilegedMode": false,
					"EnvironmentVariables": assertions.Match_ArrayWith(&a{
						m{"Name": "BUSY_MINUTES", "Type": "PLAINTEXT", "Value": "15"},
						m{"Name": "PIPELINE_NAME", "Type": "PLAINTEXT", "Value": "orders"},
						m{"Name": "RELEASE_PARAMETER", "Type": "PLAINTEXT", "Value": "/golden-pipelines/orders/" + c.env + "/release"},
						m{"Name": "SETTLE_MINUTES", "Type": "PLAINTEXT", "Value": "15"},
						m{"Name": "STACK_NAME", "Type": "PLAINTEXT", "Value": "orders-" + c.env},
						m{"Name": "STAGE", "Type": "PLAINTEXT", "Value": c.env},
						m{"Name": "TARGET_ROLE", "Type": "PLAINTEXT", "Value": c.role},
						m{"Name": "TIMEOUT_MINUTES", "Type": "PLAINTEXT", "Value": fmt.Sprint(c.timeout)},
					}),
				}),
			})
		})
		for _, statement := range []map[string]interface{}{
			{"Sid": "MoveTheRelease", "Action": a{"ssm:GetParameter", "ssm:PutParameter"},
				"Resource": joinEndingWith(":parameter/golden-pipelines/orders/" + c.env + "/release")},
			{"Sid": "ResolveStackParameters", "Action": "ssm:GetParameters", "Resource": a{
				joinEndingWith(":parameter/cdk-bootstrap/hnb659fds/version"),
				joinEndingWith(":parameter/golden-pipelines/orders/" + c.env + "/release"),
			}},
			{"Sid": "UpdateTheServiceStack",
				"Action":   a{"cloudformation:CancelUpdateStack", "cloudformation:DescribeStackEvents", "cloudformation:DescribeStacks", "cloudformation:UpdateStack"},
				"Resource": joinEndingWith(":stack/orders-" + c.env + "/*")},
			{"Sid": "PassTheStackRole", "Action": "iam:PassRole",
				"Condition": m{"StringEquals": m{"iam:PassedToService": "cloudformation.amazonaws.com"}},
				"Resource":  m{"Fn::Sub": assertions.Match_StringLikeRegexp(jsii.String(`role/cdk-hnb659fds-cfn-exec-role-`))}},
			// Before its service stack is deployed, the step stops its own execution.
			{"Sid": "StopBeforeTheServiceStackExists", "Action": "codepipeline:StopPipelineExecution",
				"Resource": joinEndingWith(":orders")},
		} {
			assert(t, c.env+" deploy permission "+statement["Sid"].(string), func() {
				tpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), &m{
					"Roles":          a{m{"Ref": assertions.Match_StringLikeRegexp(jsii.String(stageName(c.env) + "DeployRole"))}},
					"PolicyDocument": m{"Statement": assertions.Match_ArrayWith(&a{assertions.Match_ObjectLike(&statement)})},
				})
			})
		}
	}
	// payments production shifts 10% every 2 minutes: 18 minutes of shifting.
	assert(t, "linear timeout", func() {
		fixture.template(t, "payments-pipeline").HasResourceProperties(jsii.String("AWS::CodeBuild::Project"), &m{
			"Name": "payments-deploy-production", "TimeoutInMinutes": 15 + 18 + 30 + 30 + 15 + 5,
		})
	})
}

// The integration test may invoke only the staging live alias.
func TestIntegrationTestProject(t *testing.T) {
	tpl := fixture.template(t, "orders-pipeline")
	assert(t, "integration test invokes staging", func() {
		tpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), &m{
			"PolicyDocument": m{"Statement": assertions.Match_ArrayWith(&a{assertions.Match_ObjectLike(&m{
				"Sid": "InvokeTheTarget", "Action": "lambda:InvokeFunction",
				"Resource": joinEndingWith(":function:orders-staging:live"),
			})})},
		})
	})
}

// The release parameters exist before the service stacks need them, and CloudFormation only
// ever creates them: there is no update call that could reset a release.
func TestReleaseParametersAreCreatedOnce(t *testing.T) {
	crs := fixture.resources(t, "orders-pipeline", "Custom::AWS")
	if len(crs) != 2 {
		t.Fatalf("want one release parameter per environment, have %d", len(crs))
	}
	for id, r := range crs {
		p := props(r)
		if _, ok := p["Update"]; ok {
			t.Errorf("%s has an update call: a pipeline stack update could reset the release", id)
		}
		if _, ok := p["Delete"]; ok {
			t.Errorf("%s deletes the release parameter with the stack", id)
		}
		create := jsonString(t, p["Create"])
		for _, want := range []string{`\"action\":\"putParameter\"`, `\"Overwrite\":false`, `\"Value\":\"bootstrap\"`, `ParameterAlreadyExists`} {
			if !strings.Contains(create, want) {
				t.Errorf("%s create call %s lacks %s", id, create, want)
			}
		}
	}
	// The service stacks are deployed after the pipeline stack and the shared stack.
	for _, svc := range fixture.services {
		for _, env := range svc.Targets {
			var names []string
			for _, d := range *env.Stack.Dependencies() {
				names = append(names, *d.StackName())
			}
			sort.Strings(names)
			want := []string{stacks.SharedStackName, svc.Spec.PipelineStackName()}
			sort.Strings(want)
			if strings.Join(names, " ") != strings.Join(want, " ") {
				t.Errorf("%s depends on %v, want %s", *env.Stack.StackName(), names, want)
			}
		}
	}
}

// cdk deploy creates change sets as the CDK bootstrap deploy role, and CloudFormation resolves
// the SSM-typed release parameter with that role's credentials: one shared policy lets it read
// every release parameter, and nothing else.
func TestCDKDeployRoleMayResolveReleaseParameters(t *testing.T) {
	policies := fixture.resources(t, stacks.SharedStackName, "AWS::IAM::Policy")
	if len(policies) != 1 {
		t.Fatalf("want one policy in the shared stack, have %d", len(policies))
	}
	assert(t, "deploy role reads release parameters", func() {
		fixture.template(t, stacks.SharedStackName).HasResourceProperties(jsii.String("AWS::IAM::Policy"), &m{
			"Roles": a{m{"Fn::Sub": "cdk-hnb659fds-deploy-role-${AWS::AccountId}-${AWS::Region}"}},
			"PolicyDocument": m{"Statement": a{m{
				"Sid": "ResolveReleaseParameters", "Effect": "Allow", "Action": "ssm:GetParameters",
				"Resource": joinEndingWith(":parameter/golden-pipelines/*"),
			}}},
		})
	})
	for _, svc := range fixture.services {
		for _, env := range svc.Spec.Stages {
			if !strings.HasPrefix(svc.Spec.ReleaseParameterName(env.Name), "/golden-pipelines/") {
				t.Errorf("%s is outside the granted prefix", svc.Spec.ReleaseParameterName(env.Name))
			}
		}
	}
}

// MicroservicePipeline exposes the pieces a caller builds on.
func TestConstructExposesItsParts(t *testing.T) {
	for _, svc := range fixture.services {
		if svc.Spec.IsContainer() {
			continue // see TestContainerConstructsExposeTheirParts
		}
		p := svc.Pipeline
		if p.Pipeline == nil || p.BuildProject == nil || p.ArtifactBucket == nil || p.PackageBucket == nil || p.Key == nil {
			t.Errorf("%s: pipeline parts not exposed", svc.Spec.Name)
		}
		for _, target := range p.Targets {
			if (target.IntegrationTestProject != nil) != (len(svc.Spec.Stage(target.Stage).IntegrationTest.Commands) > 0) {
				t.Errorf("%s/%s: integration test project exposed %v", svc.Spec.Name, target.Stage, target.IntegrationTestProject != nil)
			}
		}
		if len(p.Targets) != 2 {
			t.Fatalf("%s: %d environments", svc.Spec.Name, len(p.Targets))
		}
		for i, e := range p.Targets {
			if e.DeploymentGroup == nil || e.DeployProject == nil {
				t.Errorf("%s/%s: parts not exposed", svc.Spec.Name, e.Stage)
			}
			if got := *e.DeploymentGroup.DeploymentGroupName(); got != svc.Spec.DeploymentGroupName(e.Stage) {
				t.Errorf("%s: deployment group %s", e.Stage, got)
			}
			s := svc.Targets[i].Service
			if s.Function == nil || s.Alias == nil || s.DeploymentGroup == nil || len(s.Alarms) < 3 {
				t.Errorf("%s/%s: service parts not exposed", svc.Spec.Name, e.Stage)
			}
		}
	}
}

// joinEndingWith matches an ARN the CDK renders as {"Fn::Join": ["", [..., suffix]]}.
func joinEndingWith(suffix string) map[string]interface{} {
	return m{"Fn::Join": a{"", assertions.Match_ArrayWith(&a{suffix})}}
}

func stageName(env string) string {
	return strings.ToUpper(env[:1]) + env[1:]
}

// The construct's own option: how long pipeline artifacts are kept.
func TestArtifactRetentionDays(t *testing.T) {
	var svc spec.Service
	for _, s := range fixtures() {
		if s.Name == "orders" {
			svc = s
		}
	}
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("retention"), nil)
	pipeline.NewMicroservicePipeline(stack, "Pipeline", &pipeline.Props{Service: svc, ArtifactRetentionDays: 7})
	assert(t, "artifacts expire after 7 days", func() {
		assertions.Template_FromStack(stack, nil).HasResourceProperties(jsii.String("AWS::S3::Bucket"), &m{
			"LifecycleConfiguration": m{"Rules": a{assertions.Match_ObjectLike(&m{"ExpirationInDays": 7})}},
		})
	})
}
