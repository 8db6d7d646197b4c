package ecsservice

import (
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecrassets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/internal/cdkutil"
	"github.com/golden-pipelines/microservice-pipelines/constructs/policy"
	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// ContainerUser is the user (UID:GID) the service's container runs as, whatever its image says:
// never root (Control Tower's CT.ECS.PR.3). It is the node user of the official Node.js images;
// an image's files only need to be readable by it, and it may write only to /tmp.
const ContainerUser = "1000:1000"

// TmpVolume is the task's scratch volume, the container's only writable path (/tmp): the root
// file system is read-only (CT.ECS.PR.6). On Fargate it is a bind mount on the task's ephemeral
// storage, empty at every start. ECS copies what the image has at /tmp into it when the image
// declares VOLUME /tmp (the placeholder's Dockerfile does): "Use bind mounts with Amazon ECS",
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/bind-mounts.html.
const TmpVolume = "tmp"

// taskDefinition creates the task definition every release renders from (the prepare step
// copies all of it but the image): one container, the placeholder image until the first
// release, non-root, with a read-only root file system and /tmp on a scratch volume, and the
// task's memory as the container's hard limit (CT.ECS.PR.7).
func (s *EcsService) taskDefinition(svc *spec.Service, repository awsecr.IRepository) {
	c, node := svc.Container, s.Construct
	logs := cdkutil.LogGroup(node, "Logs", jsii.String("/ecs/"+s.Name), svc.LogRetentionDays)
	s.TaskDefinition = awsecs.NewFargateTaskDefinition(node, jsii.String("TaskDefinition"), &awsecs.FargateTaskDefinitionProps{
		Family: jsii.String(s.Name), Cpu: jsii.Number(float64(c.CPU)), MemoryLimitMiB: jsii.Number(float64(c.MemoryMiB)),
		RuntimePlatform: &awsecs.RuntimePlatform{
			CpuArchitecture: awsecs.CpuArchitecture_X86_64(), OperatingSystemFamily: awsecs.OperatingSystemFamily_LINUX(),
		},
	})
	s.TaskDefinition.AddVolume(&awsecs.Volume{Name: jsii.String(TmpVolume)})
	environment, secrets := containerEnvironment(node, c)
	container := s.TaskDefinition.AddContainer(jsii.String(spec.ContainerName), &awsecs.ContainerDefinitionOptions{
		ContainerName: jsii.String(spec.ContainerName),
		// Before the first release the service runs a placeholder, built from this package's
		// Dockerfile and named by its content hash. Every release replaces the image with the
		// build's image, pinned by digest.
		Image: awsecs.ContainerImage_FromAsset(jsii.String(placeholderDir()), &awsecs.AssetImageProps{
			Platform: awsecrassets.Platform_LINUX_AMD64(), // the task runs on X86_64, whatever builds it
		}),
		Essential:              jsii.Bool(true),
		User:                   jsii.String(ContainerUser),
		ReadonlyRootFilesystem: jsii.Bool(true),
		MemoryLimitMiB:         jsii.Number(float64(c.MemoryMiB)),
		SystemControls:         unprivilegedPorts(c.Port),
		PortMappings:           &[]*awsecs.PortMapping{{ContainerPort: jsii.Number(float64(c.Port)), Protocol: awsecs.Protocol_TCP}},
		Environment:            &environment,
		Secrets:                &secrets,
		Logging:                awsecs.LogDrivers_AwsLogs(&awsecs.AwsLogDriverProps{LogGroup: logs, StreamPrefix: jsii.String(spec.ContainerName)}),
	})
	container.AddMountPoints(&awsecs.MountPoint{SourceVolume: jsii.String(TmpVolume), ContainerPath: jsii.String("/tmp"), ReadOnly: jsii.Bool(false)})
	policy.Suppress(s.TaskDefinition, "AwsSolutions-ECS2",
		"plain variables are non-secret configuration (PORT, the definition's environment); secrets come from Secrets Manager or SSM through container.secrets, and the golden rule no-plain-secrets refuses secret-looking values")
	repository.GrantPull(s.TaskDefinition.ObtainExecutionRole())
}

// unprivilegedPorts lets the non-root container listen on a port below 1024 (Linux reserves
// those to root): the network namespace's net.ipv4.ip_unprivileged_port_start, which Fargate
// lets a task set (net.* system controls, platform 1.4.0 and later:
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_SystemControl.html). Nil for
// the usual ports from 1024 up.
func unprivilegedPorts(port int) *[]*awsecs.SystemControl {
	if port >= 1024 {
		return nil
	}
	return &[]*awsecs.SystemControl{{Namespace: jsii.String("net.ipv4.ip_unprivileged_port_start"), Value: jsii.String(fmt.Sprint(port))}}
}

// containerEnvironment is the container's plain variables (PORT, then the definition's) and its
// secrets. Secrets stay in Secrets Manager or SSM: ECS resolves them when a task starts, with
// the execution role, which may read exactly these.
func containerEnvironment(node constructs.Construct, c *spec.Container) (map[string]*string, map[string]awsecs.Secret) {
	environment := map[string]*string{"PORT": jsii.String(fmt.Sprint(c.Port))}
	for _, k := range slices.Sorted(maps.Keys(c.Environment)) {
		environment[k] = jsii.String(c.Environment[k])
	}
	secrets := map[string]awsecs.Secret{}
	for _, k := range slices.Sorted(maps.Keys(c.Secrets)) {
		if name := c.Secrets[k].SecretsManager; name != "" {
			secrets[k] = awsecs.Secret_FromSecretsManager(awssecretsmanager.Secret_FromSecretNameV2(node, jsii.String("Secret"+k), jsii.String(name)), nil)
		} else {
			secrets[k] = awsecs.Secret_FromSsmParameter(awsssm.StringParameter_FromSecureStringParameterAttributes(node, jsii.String("Parameter"+k),
				&awsssm.SecureStringParameterAttributes{ParameterName: jsii.String(c.Secrets[k].Parameter)}))
		}
	}
	return environment, secrets
}

// newVpc creates the service's VPC: two Availability Zones, one NAT gateway, flow logs of every
// interface kept as long as the service's other logs. Nothing in the public subnets needs an
// address of its own (the load balancer and the NAT gateway bring theirs; tasks run in the
// private subnets), so they assign no public IP addresses at launch (CT.EC2.PR.11).
func newVpc(node constructs.Construct, retentionDays int) awsec2.Vpc {
	vpc := awsec2.NewVpc(node, jsii.String("Vpc"), &awsec2.VpcProps{
		MaxAzs:      jsii.Number(2),
		NatGateways: jsii.Number(1),
		// The CDK's default subnets (same names, so the same logical IDs), public ones without
		// public addresses at launch.
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{
			{Name: jsii.String("Public"), SubnetType: awsec2.SubnetType_PUBLIC, MapPublicIpOnLaunch: jsii.Bool(false)},
			{Name: jsii.String("Private"), SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS},
		},
	})
	vpc.AddFlowLog(jsii.String("FlowLog"), &awsec2.FlowLogOptions{
		Destination: awsec2.FlowLogDestination_ToCloudWatchLogs(cdkutil.LogGroup(node, "FlowLogs", nil, retentionDays), nil),
		TrafficType: awsec2.FlowLogTrafficType_ALL,
	})
	retainProviderLogs(vpc, retentionDays)
	return vpc
}
