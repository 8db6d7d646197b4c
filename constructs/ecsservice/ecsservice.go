// Package ecsservice is the deployment target of a container service in one environment: a
// VPC, an ECS cluster and a Fargate service on the CODE_DEPLOY deployment controller, behind an
// Application Load Balancer with a production listener and a test listener, blue and green
// target groups, the CodeDeploy deployment group that shifts traffic between them, and the
// alarms that stop and roll back a bad release.
//
// CodeDeploy owns the running task definition. The service names its task definition by
// family only, a constant string, so CloudFormation never updates it: a later `cdk deploy`
// can neither put an older image back nor fail because CodeDeploy owns the service. The task
// definition this construct declares is the template of every release: the pipeline reads it
// (its ARN is published as an SSM parameter), replaces the image, and hands it to CodeDeploy.
package ecsservice

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapplicationautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	elb "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssynthetics"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/guard"
	"github.com/golden-pipelines/microservice-pipelines/constructs/internal/cdkutil"
	"github.com/golden-pipelines/microservice-pipelines/constructs/policy"
	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// Props of an EcsService.
type Props struct {
	// Service is the definition (a container service); the constructor applies its defaults
	// and validates it. Required.
	Service spec.Service
	// Stage is the name of the stage (of the service's stages) the target belongs to.
	// Required.
	Stage string
	// Repository holds the service's release images; the task execution role may pull them.
	// Required.
	Repository awsecr.IRepository
	// Topic receives the alarms' notifications. Default: the service's notification topic
	// (<service>-notifications in the pipeline stack), by name.
	Topic awssns.ITopic
	// Vpc to run in: it needs public subnets (the load balancer) and private subnets with
	// egress (the tasks). Default: a new VPC over two availability zones with a NAT gateway
	// each and flow logs (or the Cluster's VPC).
	Vpc awsec2.IVpc
	// Cluster to run the service on (in Vpc, or its own VPC when Vpc is not set). Default: a
	// new Fargate cluster with Container Insights.
	Cluster awsecs.ICluster
	// TestTrafficFrom may reach the test listener, where the replacement tasks answer before
	// any user reaches them (test-traffic hooks run there). Default: the new VPC's NAT
	// gateways (the load balancer is internet-facing, so traffic from inside the VPC reaches
	// it through them); with a Vpc of your own, nothing until you set it (e.g. your NAT
	// gateways' addresses).
	TestTrafficFrom []awsec2.IPeer
}

// EcsService is a Fargate service deployed blue/green through CodeDeploy.
type EcsService struct {
	constructs.Construct
	Vpc                     awsec2.IVpc
	Cluster                 awsecs.ICluster
	LoadBalancer            elb.ApplicationLoadBalancer
	Listener, TestListener  elb.ApplicationListener
	BlueTarget, GreenTarget elb.ApplicationTargetGroup
	TaskDefinition          awsecs.FargateTaskDefinition
	Service                 awsecs.FargateService
	DeploymentGroup         awscodedeploy.EcsDeploymentGroup
	Alarms                  []awscloudwatch.Alarm
	// Guard holds the alarms and how CodeDeploy rolls back.
	Guard                   *guard.Guard
	TaskDefinitionParameter awsssm.StringParameter
	URLParameter            awsssm.StringParameter
	// AccessLogs receives the load balancer's access logs (nil in an environment-agnostic
	// synth, which has no region).
	AccessLogs                 awss3.Bucket
	TaskDefinitionFamily, Name string
	// LoadBalancerSecurityGroup and ServiceSecurityGroup: the production port from anywhere
	// and the test port from TestTrafficFrom; the container port from the load balancer only.
	LoadBalancerSecurityGroup, ServiceSecurityGroup awsec2.SecurityGroup
	// Canary calls the service through both listeners every minute (the stage's
	// safety.canary.path), or is nil.
	Canary awssynthetics.Canary
}

// NewEcsService creates the service of one target. It applies the service's defaults and
// validates it: a bad definition, a stage it does not have or a missing repository fails the
// synthesis with every problem on this construct's path (and nothing is built).
func NewEcsService(scope constructs.Construct, id string, props *Props) *EcsService {
	s := &EcsService{Construct: constructs.NewConstruct(scope, jsii.String(id))}
	if props == nil {
		cdkutil.Invalid(s.Construct, "props: missing; fix: pass &ecsservice.Props{Service, Stage, Repository}")
		return s
	}
	svc, st, ok := cdkutil.ServiceFor(s.Construct, props.Service, cdkutil.ContainerService, props.Stage)
	ok = cdkutil.Required(s.Construct, svc, props.Repository != nil, "Props.Repository",
		"pass the pipeline's image repository (pipeline.MicroservicePipeline.Repository)") && ok
	if !ok {
		return s
	}
	s.Name = svc.Name + "-" + st.Name
	s.TaskDefinitionFamily = s.Name
	s.network(&svc, props)
	s.loadBalancer(&svc, st, props)
	s.taskDefinition(&svc, props.Repository)
	s.fargateService(svc.Container)
	s.Guard = s.guard(&svc, st, cdkutil.NotificationTopic(s.Construct, &svc, props.Topic))
	s.Alarms = s.Guard.Alarms
	s.deploymentGroup(&svc, st)
	s.outputs(&svc, st.Name)
	return s
}

// network takes or creates the VPC and the cluster.
func (s *EcsService) network(svc *spec.Service, props *Props) {
	switch {
	case props.Vpc != nil:
		s.Vpc = props.Vpc
	case props.Cluster != nil:
		s.Vpc = props.Cluster.Vpc()
	default:
		s.Vpc = newVpc(s.Construct, svc.LogRetentionDays)
	}
	s.Cluster = props.Cluster
	if s.Cluster == nil {
		s.Cluster = awsecs.NewCluster(s.Construct, jsii.String("Cluster"), &awsecs.ClusterProps{
			Vpc:                            s.Vpc,
			ContainerInsightsV2:            awsecs.ContainerInsights_ENABLED,
			EnableFargateCapacityProviders: jsii.Bool(true),
		})
	}
}

// loadBalancer creates the internet-facing load balancer, its security group, access logs,
// the blue and green target groups and the production and test listeners.
func (s *EcsService) loadBalancer(svc *spec.Service, st *spec.Stage, props *Props) {
	c, node := svc.Container, s.Construct
	albSG := awsec2.NewSecurityGroup(node, jsii.String("LoadBalancerSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc: s.Vpc, AllowAllOutbound: jsii.Bool(false),
		Description: jsii.String(s.Name + " load balancer: production port from anywhere, test port from the VPC"),
	})
	s.LoadBalancerSecurityGroup = albSG
	albSG.AddIngressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(float64(c.ListenerPort))), jsii.String("production traffic"), nil)
	for i, peer := range s.testTrafficPeers(props) {
		albSG.AddIngressRule(peer, awsec2.Port_Tcp(jsii.Number(float64(c.TestListenerPort))),
			jsii.String(fmt.Sprintf("test traffic to the replacement tasks, from this VPC (NAT gateway %d)", i+1)), nil)
	}
	s.LoadBalancer = elb.NewApplicationLoadBalancer(node, jsii.String("LoadBalancer"), &elb.ApplicationLoadBalancerProps{
		Vpc: s.Vpc, InternetFacing: jsii.Bool(true), SecurityGroup: albSG,
		DropInvalidHeaderFields: jsii.Bool(true),
		// A production stage's cannot be deleted by accident, by a stack update that replaces it
		// or by cdk destroy (which then fails until the protection is turned off; see the docs).
		DeletionProtection: jsii.Bool(st.IsProduction()),
	})
	// The role tag says, in the template, why a pre-production load balancer has no deletion
	// protection (the Control Tower acknowledgement reads it; the stack's own tags reach the
	// resources only when CloudFormation deploys them).
	awscdk.Tags_Of(s.LoadBalancer).Add(jsii.String("role"), jsii.String(st.Role), nil)
	policy.Suppress(albSG, "AwsSolutions-EC23",
		"the production listener of an internet-facing service is open to everyone by design; the test listener's port is open only to the VPC's NAT address")
	s.accessLogs(awscdk.Stack_Of(node), svc.LogRetentionDays)
	target := func(tgID string) elb.ApplicationTargetGroup {
		return elb.NewApplicationTargetGroup(node, jsii.String(tgID), &elb.ApplicationTargetGroupProps{
			Vpc: s.Vpc, Port: jsii.Number(float64(c.Port)), Protocol: elb.ApplicationProtocol_HTTP,
			TargetType:          elb.TargetType_IP,
			DeregistrationDelay: awscdk.Duration_Seconds(jsii.Number(30)),
			HealthCheck: &elb.HealthCheck{
				Path: jsii.String(c.HealthCheckPath), HealthyHttpCodes: jsii.String("200"),
				Interval: awscdk.Duration_Seconds(jsii.Number(15)), HealthyThresholdCount: jsii.Number(2),
				UnhealthyThresholdCount: jsii.Number(3),
			},
		})
	}
	s.BlueTarget, s.GreenTarget = target("BlueTargetGroup"), target("GreenTargetGroup")
	s.Listener = s.LoadBalancer.AddListener(jsii.String("Listener"), &elb.BaseApplicationListenerProps{
		Port: jsii.Number(float64(c.ListenerPort)), Protocol: elb.ApplicationProtocol_HTTP, Open: jsii.Bool(false),
		DefaultTargetGroups: &[]elb.IApplicationTargetGroup{s.BlueTarget},
	})
	s.TestListener = s.LoadBalancer.AddListener(jsii.String("TestListener"), &elb.BaseApplicationListenerProps{
		Port: jsii.Number(float64(c.TestListenerPort)), Protocol: elb.ApplicationProtocol_HTTP, Open: jsii.Bool(false),
		DefaultTargetGroups: &[]elb.IApplicationTargetGroup{s.GreenTarget},
	})
}

// testTrafficPeers are who may reach the test listener: the given peers, or the NAT gateways'
// addresses of the VPC the construct created.
func (s *EcsService) testTrafficPeers(props *Props) []awsec2.IPeer {
	if props.TestTrafficFrom != nil {
		return props.TestTrafficFrom
	}
	vpc, ok := s.Vpc.(awsec2.Vpc)
	if !ok || props.Vpc != nil || props.Cluster != nil {
		return nil
	}
	var out []awsec2.IPeer
	for _, subnet := range *vpc.PublicSubnets() {
		if eip, ok := subnet.Node().TryFindChild(jsii.String("EIP")).(awsec2.CfnEIP); ok {
			out = append(out, awsec2.Peer_Ipv4(awscdk.Fn_Join(jsii.String(""), &[]*string{eip.AttrPublicIp(), jsii.String("/32")})))
		}
	}
	return out
}

// fargateService creates the service on the CODE_DEPLOY controller, its security group and its
// fixed task count.
func (s *EcsService) fargateService(c *spec.Container) {
	node := s.Construct
	serviceSG := awsec2.NewSecurityGroup(node, jsii.String("ServiceSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc: s.Vpc, Description: jsii.String(s.Name + " tasks: the container port from the load balancer only"),
	})
	s.ServiceSecurityGroup = serviceSG
	serviceSG.AddIngressRule(s.LoadBalancerSecurityGroup, awsec2.Port_Tcp(jsii.Number(float64(c.Port))), jsii.String("from the load balancer"), nil)
	s.LoadBalancerSecurityGroup.AddEgressRule(serviceSG, awsec2.Port_Tcp(jsii.Number(float64(c.Port))), jsii.String("to the tasks"), nil)
	s.Service = awsecs.NewFargateService(node, jsii.String("Service"), &awsecs.FargateServiceProps{
		Cluster: s.Cluster, TaskDefinition: s.TaskDefinition, ServiceName: jsii.String(s.Name),
		DesiredCount:           jsii.Number(float64(c.DesiredCount)),
		DeploymentController:   &awsecs.DeploymentController{Type: awsecs.DeploymentControllerType_CODE_DEPLOY},
		SecurityGroups:         &[]awsec2.ISecurityGroup{serviceSG},
		VpcSubnets:             &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS},
		AssignPublicIp:         jsii.Bool(false),
		HealthCheckGracePeriod: awscdk.Duration_Seconds(jsii.Number(60)),
		// CodeDeploy runs the deployments; these are set only so that the CDK does not warn
		// about its default (ECS ignores them for blue/green on Fargate).
		MinHealthyPercent: jsii.Number(100), MaxHealthyPercent: jsii.Number(200),
		PropagateTags: awsecs.PropagatedTagSource_SERVICE,
	})
	s.Service.AttachToApplicationTargetGroup(s.BlueTarget)
	s.Service.AutoScaleTaskCount(&awsapplicationautoscaling.EnableScalingProps{
		MinCapacity: jsii.Number(float64(c.DesiredCount)), MaxCapacity: jsii.Number(float64(c.DesiredCount)),
	})
	// The CDK copies the minimum capacity into the service; the scaling target alone holds it.
	cfnService := s.Service.Node().DefaultChild().(awsecs.CfnService)
	cfnService.AddPropertyDeletionOverride(jsii.String("DesiredCount"))
	// The family alone, a constant: CloudFormation never touches the running task definition,
	// which CodeDeploy owns (it cannot be updated on a CODE_DEPLOY service anyway).
	cfnService.AddPropertyOverride(jsii.String("TaskDefinition"), s.Name)
}

// deploymentGroup creates CodeDeploy's role and the blue/green deployment group.
func (s *EcsService) deploymentGroup(svc *spec.Service, st *spec.Stage) {
	node := s.Construct
	deploymentRole := awsiam.NewRole(node, jsii.String("DeploymentRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("codedeploy.amazonaws.com"), nil),
		ManagedPolicies: &[]awsiam.IManagedPolicy{
			awsiam.ManagedPolicy_FromAwsManagedPolicyName(jsii.String("AWSCodeDeployRoleForECSLimited")),
		},
	})
	s.allowPassingTheTaskRoles(deploymentRole)
	policy.Suppress(deploymentRole, "AwsSolutions-IAM4",
		"AWSCodeDeployRoleForECSLimited is CodeDeploy's documented service-role policy for ECS blue/green (the limited variant: it may invoke only CodeDeployHook_* functions); AWS keeps it in step with CodeDeploy",
		"Policy::arn:<AWS::Partition>:iam::aws:policy/AWSCodeDeployRoleForECSLimited")
	s.DeploymentGroup = awscodedeploy.NewEcsDeploymentGroup(node, jsii.String("DeploymentGroup"), &awscodedeploy.EcsDeploymentGroupProps{
		Application: awscodedeploy.NewEcsApplication(node, jsii.String("Application"), &awscodedeploy.EcsApplicationProps{
			ApplicationName: jsii.String(svc.DeploymentGroupName(st.Name)),
		}),
		DeploymentGroupName: jsii.String(svc.DeploymentGroupName(st.Name)),
		// The limited managed policy only: CodeDeploy may invoke only CodeDeployHook_*
		// functions. The CDK would add the broad AWSCodeDeployRoleForECS to a role it may
		// change; this one it may not.
		Role:             deploymentRole.WithoutPolicyUpdates(nil),
		Service:          s.Service,
		DeploymentConfig: guard.EcsConfig(s.Construct, s.Name, st.Deployment),
		BlueGreenDeploymentConfig: &awscodedeploy.EcsBlueGreenDeploymentConfig{
			BlueTargetGroup: s.BlueTarget, GreenTargetGroup: s.GreenTarget,
			Listener: s.Listener, TestListener: s.TestListener,
			// The bake: the original tasks stay behind the test listener, and CodeDeploy keeps
			// watching the alarms (and rolls back to them when one fires) until they end.
			TerminationWaitTime: awscdk.Duration_Minutes(jsii.Number(float64(svc.BlueTasksKeptMinutes(st)))),
		},
		Alarms:       s.Guard.AlarmRefs(),
		AutoRollback: guard.AutoRollback(),
	})
}

// outputs publishes the task definition's ARN and the URL (the pipeline reads both), and where
// test-traffic hooks run.
func (s *EcsService) outputs(svc *spec.Service, env string) {
	node := s.Construct
	s.TaskDefinitionParameter = awsssm.NewStringParameter(node, jsii.String("TaskDefinitionParameter"), &awsssm.StringParameterProps{
		ParameterName: jsii.String(svc.TaskDefinitionParameterName(env)),
		StringValue:   s.TaskDefinition.TaskDefinitionArn(),
		Description:   jsii.String("Task definition the pipeline renders each release of " + s.Name + " from"),
	})
	s.URLParameter = awsssm.NewStringParameter(node, jsii.String("URLParameter"), &awsssm.StringParameterProps{
		ParameterName: jsii.String(svc.URLParameterName(env)),
		StringValue: awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("http://"), s.LoadBalancer.LoadBalancerDnsName(),
			jsii.String(fmt.Sprintf(":%d", svc.Container.ListenerPort))}),
		Description: jsii.String("Production URL of " + s.Name + ", for its integration tests"),
	})
	awscdk.NewCfnOutput(node, jsii.String("URL"), &awscdk.CfnOutputProps{Value: s.URLParameter.StringValue()})
	// Where test-traffic hooks run: in this VPC's private subnets, they reach the test listener.
	awscdk.NewCfnOutput(node, jsii.String("VpcId"), &awscdk.CfnOutputProps{Value: s.Vpc.VpcId()})
	var private []*string
	for _, sn := range *s.Vpc.PrivateSubnets() {
		private = append(private, sn.SubnetId())
	}
	awscdk.NewCfnOutput(node, jsii.String("PrivateSubnetIds"), &awscdk.CfnOutputProps{Value: awscdk.Fn_Join(jsii.String(","), &private)})
}

// allowPassingTheTaskRoles lets CodeDeploy pass the task definition's task and execution roles
// when it creates a replacement task set. The limited managed policy may pass only roles named
// ecsTaskExecutionRole or ECSTaskExecution*, and these roles have generated names: "If the
// tasks in your Amazon ECS service using the blue/green deployment type require the use of the
// task execution role or a task role override, then you must add the iam:PassRole permission
// for each ... to the CodeDeploy IAM role" (Amazon ECS Developer Guide, "Amazon ECS CodeDeploy
// IAM Role").
func (s *EcsService) allowPassingTheTaskRoles(deploymentRole awsiam.Role) {
	deploymentRole.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("PassTheTaskRoles"),
		Actions:   jsii.Strings("iam:PassRole"),
		Resources: &[]*string{s.TaskDefinition.TaskRole().RoleArn(), s.TaskDefinition.ObtainExecutionRole().RoleArn()},
		Conditions: &map[string]interface{}{
			"StringEquals": map[string]interface{}{"iam:PassedToService": "ecs-tasks.amazonaws.com"},
		},
	}))
}

// guard creates the alarms of the environment: target 5xx and unhealthy hosts on both target
// groups, load balancer 5xx and p99 latency, then the definition's own.
func (s *EcsService) guard(svc *spec.Service, st *spec.Stage, notify awssns.ITopic) *guard.Guard {
	env, a := st.Name, st.Alarms
	minute := awscdk.Duration_Minutes(jsii.Number(1))
	opts := func(statistic string) *awscloudwatch.MetricOptions {
		return &awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String(statistic)}
	}
	var defaults []guard.Alarm
	for _, tg := range []struct {
		color string
		group elb.ApplicationTargetGroup
	}{{"blue", s.BlueTarget}, {"green", s.GreenTarget}} {
		defaults = append(defaults,
			guard.Alarm{ID: "Target5xx" + tg.color, Name: svc.AlarmName(env, "target-5xx-"+tg.color), What: "target 5xx (" + tg.color + ")",
				Metric:    tg.group.Metrics().HttpCodeTarget(elb.HttpCodeTarget_TARGET_5XX_COUNT, opts("Sum")),
				Threshold: float64(a.Target5xxThreshold), Comparison: ">=", EvaluationPeriods: 1},
			guard.Alarm{ID: "Unhealthy" + tg.color, Name: svc.AlarmName(env, "unhealthy-"+tg.color), What: "unhealthy targets (" + tg.color + ")",
				Metric:    tg.group.Metrics().UnhealthyHostCount(opts("Maximum")),
				Threshold: float64(a.UnhealthyHostsThreshold), Comparison: ">=", EvaluationPeriods: 2})
	}
	defaults = append(defaults,
		guard.Alarm{ID: "LoadBalancer5xx", Name: svc.AlarmName(env, "alb-5xx"), What: "load balancer 5xx",
			Metric:    s.LoadBalancer.Metrics().HttpCodeElb(elb.HttpCodeElb_ELB_5XX_COUNT, opts("Sum")),
			Threshold: float64(a.LoadBalancer5xxThreshold), Comparison: ">=", EvaluationPeriods: 1},
		guard.Alarm{ID: "P99Latency", Name: svc.AlarmName(env, "p99-latency"), What: "p99 target response time (s)",
			Metric:    s.LoadBalancer.Metrics().TargetResponseTime(opts("p99")),
			Threshold: float64(a.P99LatencyMillis) / 1000, Comparison: ">=", EvaluationPeriods: 1})
	return guard.New(s.Construct, &guard.Props{
		Defaults: defaults, Custom: a.Custom, Topic: notify, Extra: s.canary(svc, st),
		AlarmName:       func(name string) string { return svc.AlarmName(env, name) },
		HealthAlarmName: svc.HealthAlarmName(env),
	})
}

//go:embed placeholder/Dockerfile
var placeholderDockerfile []byte

// placeholderDir writes the placeholder image's Dockerfile to a directory named by its content,
// so the asset (and its hash) does not depend on where the library's source lives. It is
// written once per process and shared by every service stack.
var placeholderDir = sync.OnceValue(func() string {
	sum := sha256.Sum256(placeholderDockerfile)
	dir := filepath.Join(os.TempDir(), "golden-pipelines-placeholder-"+hex.EncodeToString(sum[:8]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		panic(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), placeholderDockerfile, 0o644); err != nil {
		panic(err)
	}
	return dir
})

// accessLogs sends the load balancer's access logs to a bucket of the stack (S3-managed keys:
// load balancer log delivery supports no KMS key). The bucket policy names the region's log
// delivery principal, so a stack without a region (an environment-agnostic synth without AWS
// credentials) cannot have one: cdk deploy always synthesizes with the region.
func (s *EcsService) accessLogs(stack awscdk.Stack, retentionDays int) {
	if *awscdk.Token_IsUnresolved(stack.Region()) {
		policy.Suppress(s.LoadBalancer, "AwsSolutions-ELB2",
			"environment-agnostic synth: the access-log bucket policy needs the region's log delivery principal; synthesized with a region (as cdk deploy does) the load balancer logs to its access-log bucket")
		return
	}
	s.AccessLogs = cdkutil.AccessLogBucket(s.Construct, "AccessLogs", retentionDays)
	policy.Suppress(s.AccessLogs, "AwsSolutions-S1", "this bucket receives the load balancer's access logs; logging the log bucket's own access would need yet another bucket, and so on")
	s.LoadBalancer.LogAccessLogs(s.AccessLogs, nil)
}

// retainProviderLogs gives the CDK's function that strips the VPC's default security group
// (a custom resource provider the CDK creates once per stack) a log group with the service's
// retention, created before the function first runs; Lambda would otherwise create one that
// keeps its logs forever.
func retainProviderLogs(vpc awsec2.Vpc, retentionDays int) {
	stack := awscdk.Stack_Of(vpc)
	provider := stack.Node().TryFindChild(jsii.String("Custom::VpcRestrictDefaultSGCustomResourceProvider"))
	restrict := vpc.Node().TryFindChild(jsii.String("RestrictDefaultSecurityGroupCustomResource"))
	if provider == nil || restrict == nil {
		return // the app does not restrict the default security group
	}
	handler := provider.Node().FindChild(jsii.String("Handler")).(awscdk.CfnResource)
	logs := cdkutil.LogGroup(vpc, "RestrictDefaultSecurityGroupLogs",
		awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("/aws/lambda/"), handler.Ref()}), retentionDays)
	restrict.Node().AddDependency(logs)
}
