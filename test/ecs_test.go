package test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// Every predefined ECS config lands in some deployment group, each custom shift in a
// deployment config of its own.
func TestEveryPredefinedEcsConfigLandsInItsDeploymentGroup(t *testing.T) {
	seen := map[string]bool{}
	for _, app := range []*synthesized{fixture, variants} {
		for _, svc := range app.services {
			if !svc.Spec.IsContainer() {
				continue
			}
			for _, env := range svc.Spec.Stages {
				stack := svc.Spec.StackName(env.Name)
				if env.Deployment.Custom != nil {
					id, _ := app.only(t, stack, "AWS::CodeDeploy::DeploymentConfig")
					assert(t, stack+" custom config", func() {
						app.template(t, stack).HasResourceProperties(jsii.String("AWS::CodeDeploy::DeploymentConfig"), &m{"ComputePlatform": "ECS"})
						app.template(t, stack).HasResourceProperties(jsii.String("AWS::CodeDeploy::DeploymentGroup"), &m{"DeploymentConfigName": m{"Ref": id}})
					})
					continue
				}
				assert(t, stack+" config", func() {
					app.template(t, stack).HasResourceProperties(jsii.String("AWS::CodeDeploy::DeploymentGroup"), &m{
						"DeploymentConfigName": "CodeDeployDefault." + env.Deployment.Config,
						"DeploymentStyle":      m{"DeploymentOption": "WITH_TRAFFIC_CONTROL", "DeploymentType": "BLUE_GREEN"},
					})
				})
				seen[env.Deployment.Config] = true
			}
		}
	}
	for _, c := range spec.PredefinedEcsConfigs {
		if !seen[c.Name] {
			t.Errorf("predefined ECS config %s is not exercised", c.Name)
		}
	}
}

// The deployment group shifts between the blue and green target groups behind the production
// and test listeners, waits the configured time before terminating blue tasks, and rolls back.
func TestEcsDeploymentGroupWiring(t *testing.T) {
	const stack = "search-production"
	tpl := fixture.template(t, stack)
	tgs := fixture.resources(t, stack, "AWS::ElasticLoadBalancingV2::TargetGroup")
	listeners := fixture.resources(t, stack, "AWS::ElasticLoadBalancingV2::Listener")
	if len(tgs) != 2 || len(listeners) != 2 {
		t.Fatalf("want 2 target groups and 2 listeners, have %d and %d", len(tgs), len(listeners))
	}
	listenerByPort := map[float64]string{}
	forward := map[string]string{}
	for id, l := range listeners {
		listenerByPort[props(l)["Port"].(float64)] = id
		forward[id] = props(l)["DefaultActions"].([]interface{})[0].(map[string]interface{})["TargetGroupArn"].(map[string]interface{})["Ref"].(string)
	}
	prod, test := listenerByPort[80], listenerByPort[9000]
	if prod == "" || test == "" {
		t.Fatalf("listeners on ports %v, want 80 and 9000", keysF(listenerByPort))
	}
	blue, green := forward[prod], forward[test]
	if blue == green {
		t.Fatal("production and test listeners forward to the same target group")
	}
	assert(t, "deployment group", func() {
		tpl.HasResourceProperties(jsii.String("AWS::CodeDeploy::DeploymentGroup"), &m{
			"DeploymentGroupName": "search-production",
			"ECSServices":         a{m{"ClusterName": assertions.Match_AnyValue(), "ServiceName": m{"Fn::GetAtt": a{assertions.Match_AnyValue(), "Name"}}}},
			"LoadBalancerInfo": m{"TargetGroupPairInfoList": a{m{
				"ProdTrafficRoute": m{"ListenerArns": a{m{"Ref": prod}}},
				"TestTrafficRoute": m{"ListenerArns": a{m{"Ref": test}}},
				"TargetGroups":     a{m{"Name": m{"Fn::GetAtt": a{blue, "TargetGroupName"}}}, m{"Name": m{"Fn::GetAtt": a{green, "TargetGroupName"}}}},
			}}},
			"BlueGreenDeploymentConfiguration": m{
				"DeploymentReadyOption":                     m{"ActionOnTimeout": "CONTINUE_DEPLOYMENT", "WaitTimeInMinutes": 0},
				"TerminateBlueInstancesOnDeploymentSuccess": m{"Action": "TERMINATE", "TerminationWaitTimeInMinutes": 30},
			},
			"AutoRollbackConfiguration": m{"Enabled": true, "Events": a{"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST", "DEPLOYMENT_STOP_ON_ALARM"}},
			"DeploymentConfigName":      "CodeDeployDefault.ECSAllAtOnce",
		})
	})
	for _, tg := range tgs {
		p := props(tg)
		if p["TargetType"] != "ip" || p["HealthCheckPath"] != "/health" || p["Port"] != 8080.0 { // the documented defaults
			t.Errorf("target group %v", jsonString(t, p))
		}
	}
	// The default alarms watch both target groups and the load balancer; the service's own
	// alarm is attached too.
	_, dg := fixture.only(t, stack, "AWS::CodeDeploy::DeploymentGroup")
	attached := jsonString(t, props(dg)["AlarmConfiguration"])
	alarms := fixture.resources(t, stack, "AWS::CloudWatch::Alarm")
	names := map[string]bool{}
	for id, al := range alarms {
		names[props(al)["AlarmName"].(string)] = true
		if !strings.Contains(attached, `"Ref":"`+id+`"`) {
			t.Errorf("alarm %s is not attached", id)
		}
	}
	for _, n := range append(spec.EcsDefaultAlarms(), "queue-depth") {
		if !names["search-production-"+n] {
			t.Errorf("no alarm search-production-%s (have %v)", n, names)
		}
	}
	assert(t, "target 5xx alarm threshold", func() {
		tpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), &m{
			"AlarmName": "search-production-target-5xx-green", "MetricName": "HTTPCode_Target_5XX_Count", "Threshold": 10,
			"Dimensions": assertions.Match_ArrayWith(&a{m{"Name": "TargetGroup", "Value": m{"Fn::GetAtt": a{green, "TargetGroupFullName"}}}}),
		})
		tpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), &m{
			"AlarmName": "search-production-p99-latency", "MetricName": "TargetResponseTime", "ExtendedStatistic": "p99", "Threshold": 1,
		})
	})
}

// The Fargate service is on the CODE_DEPLOY controller, names its task definition by family
// (a constant), runs in private subnets behind the blue target group, and only the load
// balancer reaches it; the test listener is open to the VPC only.
func TestEcsServiceAndNetwork(t *testing.T) {
	const stack = "catalog-staging"
	tpl := fixture.template(t, stack)
	assert(t, "service", func() {
		tpl.HasResourceProperties(jsii.String("AWS::ECS::Service"), &m{
			"DeploymentController": m{"Type": "CODE_DEPLOY"},
			"TaskDefinition":       "catalog-staging",
			"DesiredCount":         assertions.Match_Absent(),
			"LaunchType":           "FARGATE",
			"LoadBalancers":        a{m{"ContainerName": spec.ContainerName, "ContainerPort": 3000, "TargetGroupArn": assertions.Match_AnyValue()}},
			"NetworkConfiguration": m{"AwsvpcConfiguration": assertions.Match_ObjectLike(&m{"AssignPublicIp": "DISABLED"})},
		})
	})
	assert(t, "task count held by Application Auto Scaling", func() {
		tpl.HasResourceProperties(jsii.String("AWS::ApplicationAutoScaling::ScalableTarget"), &m{
			"MinCapacity": 3, "MaxCapacity": 3, "ScalableDimension": "ecs:service:DesiredCount", "ServiceNamespace": "ecs",
		})
	})
	assert(t, "task definition", func() {
		tpl.HasResourceProperties(jsii.String("AWS::ECS::TaskDefinition"), &m{
			"Family": "catalog-staging", "Cpu": "512", "Memory": "1024", "NetworkMode": "awsvpc",
			"RequiresCompatibilities": a{"FARGATE"},
			"ContainerDefinitions": a{assertions.Match_ObjectLike(&m{
				"Name": spec.ContainerName, "Essential": true,
				"PortMappings": a{m{"ContainerPort": 3000, "Protocol": "tcp"}},
				"Environment":  assertions.Match_ArrayWith(&a{m{"Name": "LOG_LEVEL", "Value": "info"}, m{"Name": "PORT", "Value": "3000"}}),
				"LogConfiguration": m{"LogDriver": "awslogs", "Options": assertions.Match_ObjectLike(&m{
					"awslogs-group": m{"Ref": assertions.Match_StringLikeRegexp(jsii.String("ServiceLogs"))}})},
			})},
		})
	})
	assert(t, "logs retained", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Logs::LogGroup"), &m{"LogGroupName": "/ecs/catalog-staging", "RetentionInDays": 30})
	})
	// Production traffic from anywhere; test traffic only from this VPC, whose traffic to the
	// internet-facing load balancer leaves through its NAT gateway.
	eipID, _ := fixture.only(t, stack, "AWS::EC2::EIP")
	assert(t, "load balancer security group", func() {
		tpl.HasResourceProperties(jsii.String("AWS::EC2::SecurityGroup"), &m{
			"SecurityGroupIngress": a{
				m{"CidrIp": "0.0.0.0/0", "Description": "production traffic", "FromPort": 80, "IpProtocol": "tcp", "ToPort": 80},
				m{"CidrIp": m{"Fn::Join": a{"", a{m{"Fn::GetAtt": a{eipID, "PublicIp"}}, "/32"}}},
					"Description": assertions.Match_StringLikeRegexp(jsii.String("test traffic")), "FromPort": 9000, "IpProtocol": "tcp", "ToPort": 9000},
			},
		})
	})
	assert(t, "CodeDeploy may invoke only CodeDeployHook_ functions", func() {
		tpl.HasResourceProperties(jsii.String("AWS::IAM::Role"), &m{
			"AssumeRolePolicyDocument": m{"Statement": a{assertions.Match_ObjectLike(&m{"Principal": m{"Service": "codedeploy.amazonaws.com"}})}},
			"ManagedPolicyArns":        a{m{"Fn::Join": a{"", a{"arn:", m{"Ref": "AWS::Partition"}, ":iam::aws:policy/AWSCodeDeployRoleForECSLimited"}}}},
		})
	})
	assert(t, "the placeholder image is built for X86_64", func() {
		tpl.HasResourceProperties(jsii.String("AWS::ECS::TaskDefinition"), &m{
			"RuntimePlatform": m{"CpuArchitecture": "X86_64", "OperatingSystemFamily": "LINUX"},
		})
	})
	ingress := fixture.resources(t, stack, "AWS::EC2::SecurityGroupIngress")
	if len(ingress) != 1 {
		t.Fatalf("want one ingress rule into the tasks, have %d", len(ingress))
	}
	for _, r := range ingress {
		p := props(r)
		if p["FromPort"] != 3000.0 || p["SourceSecurityGroupId"] == nil || p["CidrIp"] != nil {
			t.Errorf("tasks are reachable from more than the load balancer: %s", jsonString(t, p))
		}
	}
	assert(t, "parameters for the pipeline", func() {
		tpl.HasResourceProperties(jsii.String("AWS::SSM::Parameter"), &m{
			"Name": "/golden-pipelines/catalog/staging/task-definition", "Value": m{"Ref": assertions.Match_StringLikeRegexp(jsii.String("TaskDefinition"))},
		})
		tpl.HasResourceProperties(jsii.String("AWS::SSM::Parameter"), &m{"Name": "/golden-pipelines/catalog/staging/url"})
	})
}

// The ECR repository keeps tags immutable, scans on push, encrypts with the pipeline's key,
// and its lifecycle keeps the released images before it counts build images.
func TestEcrRepository(t *testing.T) {
	tpl := fixture.template(t, "search-pipeline")
	keyID, _ := fixture.pipelineKey(t, "search")
	_, repo := fixture.only(t, "search-pipeline", "AWS::ECR::Repository")
	p := props(repo)
	if p["ImageTagMutability"] != "IMMUTABLE" || jsonString(t, p["ImageScanningConfiguration"]) != `{"ScanOnPush":true}` ||
		jsonString(t, p["EncryptionConfiguration"]) != `{"EncryptionType":"KMS","KmsKey":{"Fn::GetAtt":["`+keyID+`","Arn"]}}` ||
		p["RepositoryName"] != "search" {
		t.Errorf("repository %s", jsonString(t, p))
	}
	var policy struct {
		Rules []struct {
			RulePriority int
			Selection    struct {
				TagStatus     string
				TagPrefixList []string
				CountType     string
				CountNumber   int
			}
		}
	}
	if err := json.Unmarshal([]byte(p["LifecyclePolicy"].(map[string]interface{})["LifecyclePolicyText"].(string)), &policy); err != nil {
		t.Fatal(err)
	}
	want := []string{"1 tagged [deployed-production-] imageCountMoreThan 50", "2 tagged [deployed-staging-] imageCountMoreThan 50",
		"3 tagged [build-] imageCountMoreThan 50", "4 untagged [] sinceImagePushed 1"}
	var got []string
	for _, r := range policy.Rules {
		got = append(got, strings.TrimSpace(strings.Join([]string{
			jsonNum(r.RulePriority), r.Selection.TagStatus, "[" + strings.Join(r.Selection.TagPrefixList, ",") + "]",
			r.Selection.CountType, jsonNum(r.Selection.CountNumber)}, " ")))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("lifecycle rules %v, want %v", got, want)
	}
	// Only the record step, after a successful deployment, adds the deployed- tags.
	assert(t, "record step may tag images", func() {
		tpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), &m{
			"Roles": a{m{"Ref": assertions.Match_StringLikeRegexp(jsii.String("ProductionRecordRole"))}},
			"PolicyDocument": m{"Statement": assertions.Match_ArrayWith(&a{assertions.Match_ObjectLike(&m{
				"Action": a{"ecr:BatchGetImage", "ecr:PutImage"},
			})})},
		})
	})
}

func jsonNum(i int) string { b, _ := json.Marshal(i); return string(b) }

func keysF(m map[float64]string) []float64 {
	var out []float64
	for k := range m {
		out = append(out, k)
	}
	return out
}

// The container pipeline: an ECR source for the base image, a privileged docker build with
// layer caching, and per environment a prepare step and the CodeDeployToECS action fed with
// the rendered task definition, appspec and image, with IMAGE1_NAME as the placeholder.
func TestContainerPipeline(t *testing.T) {
	tpl := fixture.template(t, "catalog-pipeline")
	stages := pipelineStages(t, fixture, "catalog-pipeline")
	if got := strings.Join(stageNames(stages), " "); got != "Source Build Scan Staging ApproveProduction Production" {
		t.Errorf("stages %s", got)
	}
	assert(t, "base image source", func() {
		tpl.HasResourceProperties(jsii.String("AWS::CodePipeline::Pipeline"), &m{
			"Stages": assertions.Match_ArrayWith(&a{m{"Name": "Source", "Actions": assertions.Match_ArrayWith(&a{assertions.Match_ObjectLike(&m{
				"ActionTypeId":    m{"Category": "Source", "Owner": "AWS", "Provider": "ECR", "Version": "1"},
				"Configuration":   m{"RepositoryName": "base-images/node-22", "ImageTag": "release"},
				"OutputArtifacts": a{m{"Name": "BaseImage"}},
			})})}}),
		})
	})
	assert(t, "build project", func() {
		tpl.HasResourceProperties(jsii.String("AWS::CodeBuild::Project"), &m{
			"Name":        "catalog-build",
			"Environment": assertions.Match_ObjectLike(&m{"PrivilegedMode": true}),
			"Cache":       m{"Type": "LOCAL", "Modes": a{"LOCAL_DOCKER_LAYER_CACHE"}},
		})
	})
	for _, env := range []string{"Staging", "Production"} {
		var actions []map[string]interface{}
		for _, s := range stages {
			if s["Name"] == env {
				for _, act := range s["Actions"].([]interface{}) {
					actions = append(actions, act.(map[string]interface{}))
				}
			}
		}
		if len(actions) < 3 || actions[0]["Name"] != "Prepare" || actions[1]["Name"] != "Deploy" || actions[2]["Name"] != "RecordRelease" {
			t.Fatalf("%s actions %v", env, jsonString(t, actions))
		}
		deploy := actions[1]
		artifact := env + "Deployment"
		wantCfg := map[string]interface{}{
			"TaskDefinitionTemplateArtifact": artifact, "TaskDefinitionTemplatePath": "taskdef.json",
			"AppSpecTemplateArtifact": artifact, "AppSpecTemplatePath": "appspec.yaml",
			"Image1ArtifactName": artifact, "Image1ContainerName": "IMAGE1_NAME",
			"ApplicationName": "catalog-" + strings.ToLower(env), "DeploymentGroupName": "catalog-" + strings.ToLower(env),
		}
		cfg := deploy["Configuration"].(map[string]interface{})
		for k, v := range wantCfg {
			if cfg[k] != v {
				t.Errorf("%s deploy %s = %v, want %v", env, k, cfg[k], v)
			}
		}
		if deploy["ActionTypeId"].(map[string]interface{})["Provider"] != "CodeDeployToECS" {
			t.Errorf("%s deploy provider %v", env, deploy["ActionTypeId"])
		}
		if jsonString(t, actions[0]["OutputArtifacts"]) != `[{"Name":"`+artifact+`"}]` || jsonString(t, deploy["InputArtifacts"]) != `[{"Name":"`+artifact+`"}]` {
			t.Errorf("%s: prepare output %s, deploy input %s", env, jsonString(t, actions[0]["OutputArtifacts"]), jsonString(t, deploy["InputArtifacts"]))
		}
	}
	// The build may pull the base image (docker build FROM it), and the deploy action may read
	// the deployment config the deployment group really uses.
	assert(t, "build pulls the base image", func() {
		tpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), &m{
			"Roles": a{m{"Ref": assertions.Match_StringLikeRegexp(jsii.String("PipelineBuildRole"))}},
			"PolicyDocument": m{"Statement": assertions.Match_ArrayWith(&a{assertions.Match_ObjectLike(&m{
				"Action":   a{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"},
				"Resource": joinEndingWith(":repository/base-images/node-22"),
			})})},
		})
	})
	assert(t, "deploy action reads the canary config", func() {
		tpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), &m{
			"Roles": a{m{"Ref": assertions.Match_StringLikeRegexp(jsii.String("ProductionDeployCodePipelineActionRole"))}},
			"PolicyDocument": m{"Statement": assertions.Match_ArrayWith(&a{assertions.Match_ObjectLike(&m{
				"Action":   "codedeploy:GetDeploymentConfig",
				"Resource": joinEndingWith(":deploymentconfig:CodeDeployDefault.ECSCanary10Percent5Minutes"),
			})})},
		})
	})
	// The step reads the task definition's ARN itself: a CodeBuild PARAMETER_STORE variable
	// would fail the build before the step could see that the service stack is not deployed.
	assert(t, "prepare reads the task definition ARN from the service stack", func() {
		tpl.HasResourceProperties(jsii.String("AWS::CodeBuild::Project"), &m{
			"Name": "catalog-prepare-production",
			"Environment": assertions.Match_ObjectLike(&m{"PrivilegedMode": false, "EnvironmentVariables": assertions.Match_ArrayWith(&a{
				m{"Name": "PIPELINE_NAME", "Type": "PLAINTEXT", "Value": "catalog"},
				m{"Name": "TASK_DEFINITION_PARAMETER", "Type": "PLAINTEXT", "Value": "/golden-pipelines/catalog/production/task-definition"},
			})}),
		})
	})
	for sid, statement := range map[string]m{
		"ReadTheServiceStacksParameters": {"Action": "ssm:GetParameter", "Resource": a{
			joinEndingWith(":parameter/golden-pipelines/catalog/production/task-definition"),
			joinEndingWith(":parameter/golden-pipelines/catalog/production/url")}},
		"StopBeforeTheServiceStackExists": {"Action": "codepipeline:StopPipelineExecution", "Resource": joinEndingWith(":catalog")},
	} {
		statement["Sid"] = sid
		assert(t, "prepare may "+sid, func() {
			tpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), &m{
				"Roles":          a{m{"Ref": assertions.Match_StringLikeRegexp(jsii.String("ProductionPrepareRole"))}},
				"PolicyDocument": m{"Statement": assertions.Match_ArrayWith(&a{assertions.Match_ObjectLike(&statement)})},
			})
		})
	}
}

// A later cdk deploy of a container service stack never touches what CodeDeploy owns: the
// service names its task definition by family and leaves its task count to Application Auto
// Scaling, so configuration changes (memory and task count here) give a new task definition
// revision for the next release and a new scaling target, and leave the service resource —
// which CloudFormation would send with its task definition — exactly as it was.
func TestNoRevertContainer(t *testing.T) {
	const stack = "catalog-production"
	_, before := fixture.only(t, stack, "AWS::ECS::Service")
	_, after := memoryChanged.only(t, stack, "AWS::ECS::Service")
	if props(before)["TaskDefinition"] != "catalog-production" {
		t.Errorf("the service names its task definition as %v, not by family", props(before)["TaskDefinition"])
	}
	if !reflect.DeepEqual(before, after) {
		t.Errorf("a configuration change updates the service itself:\n%s\n%s", jsonString(t, before), jsonString(t, after))
	}
	_, tdBefore := fixture.only(t, stack, "AWS::ECS::TaskDefinition")
	_, tdAfter := memoryChanged.only(t, stack, "AWS::ECS::TaskDefinition")
	if props(tdBefore)["Memory"] == props(tdAfter)["Memory"] {
		t.Error("the memory change did not reach the task definition the next release is rendered from")
	}
	_, scaling := memoryChanged.only(t, stack, "AWS::ApplicationAutoScaling::ScalableTarget")
	if props(scaling)["MinCapacity"] != 5.0 || props(scaling)["MaxCapacity"] != 5.0 {
		t.Errorf("the task count change did not reach the scaling target: %s", jsonString(t, props(scaling)))
	}
	// The only image a stack declares is the pre-release placeholder, a content-addressed CDK
	// asset in the bootstrap repository.
	c := props(tdAfter)["ContainerDefinitions"].([]interface{})[0].(map[string]interface{})
	if img := jsonString(t, c["Image"]); !strings.Contains(img, "cdk-hnb659fds-container-assets") || !strings.Contains(img, ":<asset-hash>") && !assetHash.MatchString(img) {
		t.Errorf("container image %s is not the content-addressed placeholder", img)
	}
}

// MicroservicePipeline and EcsService expose what a caller builds on.
func TestContainerConstructsExposeTheirParts(t *testing.T) {
	for _, svc := range fixture.services {
		if !svc.Spec.IsContainer() {
			continue
		}
		p := svc.Pipeline
		if p.Repository == nil || p.BuildProject == nil || p.PackageBucket != nil {
			t.Errorf("%s: pipeline parts", svc.Spec.Name)
		}
		for i, e := range p.Targets {
			if e.PrepareProject == nil || e.EcsDeploymentGroup == nil || e.DeployProject != nil {
				t.Errorf("%s/%s: environment parts", svc.Spec.Name, e.Stage)
			}
			c := svc.Targets[i].Container
			if c == nil || c.Service == nil || c.DeploymentGroup == nil || c.Listener == nil || c.TestListener == nil ||
				c.BlueTarget == nil || c.GreenTarget == nil || len(c.Alarms) < len(spec.EcsDefaultAlarms()) {
				t.Errorf("%s/%s: service parts", svc.Spec.Name, e.Stage)
			}
		}
	}
}

// Synthesized with a region (as cdk deploy does), the load balancer logs its requests to an
// access-log bucket of the stack: S3-managed keys (load balancer log delivery supports no KMS
// key), private, SSL only, expiring with the service's log retention. The golden rules pass on
// it (the synthesis would fail otherwise).
func TestLoadBalancerAccessLogsWithARegion(t *testing.T) {
	tpl := regional.template(t, "catalog-staging")
	bucket := regional.logicalID(t, regional.service(t, "catalog").Targets[0].Container.AccessLogs)
	assert(t, "access logs on", func() {
		tpl.HasResourceProperties(jsii.String("AWS::ElasticLoadBalancingV2::LoadBalancer"), &m{
			"LoadBalancerAttributes": assertions.Match_ArrayWith(&a{
				m{"Key": "access_logs.s3.enabled", "Value": "true"},
				m{"Key": "access_logs.s3.bucket", "Value": m{"Ref": bucket}},
			}),
		})
	})
	assert(t, "the access-log bucket", func() {
		tpl.HasResourceProperties(jsii.String("AWS::S3::Bucket"), &m{
			"BucketEncryption": m{"ServerSideEncryptionConfiguration": a{m{"ServerSideEncryptionByDefault": m{"SSEAlgorithm": "AES256"}}}},
			"PublicAccessBlockConfiguration": m{
				"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
			},
			"LifecycleConfiguration": m{"Rules": a{assertions.Match_ObjectLike(&m{"ExpirationInDays": 30})}},
		})
	})
	assert(t, "log delivery may write, nobody without TLS", func() {
		tpl.HasResourceProperties(jsii.String("AWS::S3::BucketPolicy"), &m{
			"Bucket": m{"Ref": bucket},
			"PolicyDocument": m{"Statement": assertions.Match_ArrayWith(&a{
				assertions.Match_ObjectLike(&m{"Effect": "Deny", "Condition": m{"Bool": m{"aws:SecureTransport": "false"}}}),
				assertions.Match_ObjectLike(&m{"Effect": "Allow", "Action": "s3:PutObject"}),
			})},
		})
	})
	// Environment-agnostic (no region), the finding is acknowledged instead, with its reason.
	_, lb := fixture.only(t, "catalog-staging", "AWS::ElasticLoadBalancingV2::LoadBalancer")
	if !strings.Contains(jsonString(t, lb["Metadata"]), "AwsSolutions-ELB2") {
		t.Errorf("environment-agnostic load balancer without the ELB2 acknowledgement: %s", jsonString(t, lb["Metadata"]))
	}
}

// Container secrets come from Secrets Manager or SSM when a task starts: the template holds the
// parameter's ARN, never a value, and the execution role may read exactly that parameter.
func TestContainerSecretsByReference(t *testing.T) {
	tpl := fixture.template(t, "catalog-staging")
	paramArn := m{"Fn::Join": a{"", a{"arn:", m{"Ref": "AWS::Partition"}, ":ssm:", m{"Ref": "AWS::Region"}, ":", m{"Ref": "AWS::AccountId"}, ":parameter/catalog/search-api-token"}}}
	assert(t, "secret by reference", func() {
		tpl.HasResourceProperties(jsii.String("AWS::ECS::TaskDefinition"), &m{
			"ContainerDefinitions": a{assertions.Match_ObjectLike(&m{"Secrets": a{m{"Name": "SEARCH_API_TOKEN", "ValueFrom": paramArn}}})},
		})
	})
	assert(t, "the execution role reads it", func() {
		tpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), &m{
			"PolicyDocument": m{"Statement": assertions.Match_ArrayWith(&a{assertions.Match_ObjectLike(&m{
				"Action": assertions.Match_ArrayWith(&a{"ssm:GetParameters"}), "Resource": paramArn,
			})})},
		})
	})
}

// The Scan stage, between the build and staging, runs Amazon Inspector on the build's image:
// every severity at or above the service's threshold tolerates no finding; the ones below it
// are not limited. catalog tolerates high findings (CRITICAL), search has the default (HIGH).
func TestImageScanStopsBeforeStaging(t *testing.T) {
	for stack, want := range map[string]m{
		"catalog-pipeline": {"CriticalThreshold": 0},
		"search-pipeline":  {"CriticalThreshold": 0, "HighThreshold": 0},
	} {
		stages := pipelineStages(t, fixture, stack)
		if got := strings.Join(stageNames(stages), " "); !strings.HasPrefix(got, "Source Build Scan Staging") {
			t.Errorf("%s: stages %s, want the Scan stage between Build and Staging", stack, got)
			continue
		}
		actions := stages[2]["Actions"].([]interface{})
		if len(actions) != 1 {
			t.Fatalf("%s: Scan has %d actions", stack, len(actions))
		}
		action := actions[0].(map[string]interface{})
		cfg := action["Configuration"].(map[string]interface{})
		if got := jsonString(t, action["ActionTypeId"]); got != `{"Category":"Invoke","Owner":"AWS","Provider":"InspectorScan","Version":"1"}` {
			t.Errorf("%s: action type %s", stack, got)
		}
		if cfg["InspectorRunMode"] != "ECRImageScan" || cfg["ImageTag"] != "#{Build.BUILD_TAG}" || jsonString(t, cfg["ECRRepositoryName"]) != `{"Ref":"PipelineImagesAB336CA9"}` {
			t.Errorf("%s: scan configuration %s", stack, jsonString(t, cfg))
		}
		for _, k := range []string{"CriticalThreshold", "HighThreshold", "MediumThreshold", "LowThreshold"} {
			if jsonString(t, cfg[k]) != jsonString(t, want[k]) {
				t.Errorf("%s: %s = %v, want %v", stack, k, cfg[k], want[k])
			}
		}
	}
}

// CodeDeploy's CreateTaskSet passes the task definition's task and execution roles. The
// limited managed policy may pass only roles named ecsTaskExecutionRole / ECSTaskExecution*,
// and these roles have generated names: "you must add the iam:PassRole permission for each
// task execution role or task role override to the CodeDeploy IAM role" (Amazon ECS Developer
// Guide, "Amazon ECS CodeDeploy IAM Role"). Exactly those two roles, only to ECS tasks.
func TestCodeDeployMayPassTheTaskRoles(t *testing.T) {
	for _, env := range fixture.service(t, "catalog").Targets {
		svc := env.Container
		taskRole := fixture.logicalID(t, svc.TaskDefinition.TaskRole())
		execRole := fixture.logicalID(t, svc.TaskDefinition.ExecutionRole())
		deployRole := ""
		for id, r := range fixture.resources(t, *env.Stack.StackName(), "AWS::IAM::Role") {
			if strings.Contains(jsonString(t, props(r)["AssumeRolePolicyDocument"]), "codedeploy.amazonaws.com") {
				deployRole = id
			}
		}
		var found bool
		for _, r := range fixture.resources(t, *env.Stack.StackName(), "AWS::IAM::Policy") {
			p := props(r)
			if jsonString(t, p["Roles"]) != `[{"Ref":"`+deployRole+`"}]` {
				continue
			}
			for _, st := range p["PolicyDocument"].(map[string]interface{})["Statement"].([]interface{}) {
				st := st.(map[string]interface{})
				if st["Action"] != "iam:PassRole" {
					continue
				}
				found = true
				roles := []string{taskRole, execRole}
				slices.Sort(roles) // the CDK sorts a statement's resources
				want := `{"Action":"iam:PassRole","Condition":{"StringEquals":{"iam:PassedToService":"ecs-tasks.amazonaws.com"}},"Effect":"Allow",` +
					`"Resource":[{"Fn::GetAtt":["` + roles[0] + `","Arn"]},{"Fn::GetAtt":["` + roles[1] + `","Arn"]}],"Sid":"PassTheTaskRoles"}`
				if got := jsonString(t, st); got != want {
					t.Errorf("%s: CodeDeploy's PassRole\n%s\nwant\n%s", *env.Stack.StackName(), got, want)
				}
			}
		}
		if !found {
			t.Errorf("%s: CodeDeploy's role (%s) may not pass the task roles: every CreateTaskSet would be denied", *env.Stack.StackName(), deployRole)
		}
	}
}

// The target groups count only 200 as healthy: a wider matcher (200-499) would call a broken
// release healthy, and its 4xx would never trip the 5xx alarms.
func TestHealthChecksAcceptOnly200(t *testing.T) {
	for _, stack := range []string{"catalog-staging", "catalog-production", "search-production"} {
		groups := fixture.resources(t, stack, "AWS::ElasticLoadBalancingV2::TargetGroup")
		if len(groups) != 2 {
			t.Fatalf("%s: %d target groups, want blue and green", stack, len(groups))
		}
		for id, g := range groups {
			if got := jsonString(t, props(g)["Matcher"]); got != `{"HttpCode":"200"}` {
				t.Errorf("%s/%s: health check matcher %s, want exactly 200", stack, id, got)
			}
		}
	}
}
