package spec

import "maps"

// Container is a container service: an image built from the repository's Dockerfile, run on
// ECS Fargate behind an Application Load Balancer, deployed blue/green by CodeDeploy.
type Container struct {
	// Port the container listens on: 1 to 65535. Default: 8080.
	Port int `json:"port,omitempty" yaml:"port,omitempty"`
	// CPU units of the task: 256, 512, 1024, 2048 or 4096. Default: 256.
	CPU int `json:"cpu,omitempty" yaml:"cpu,omitempty"`
	// MemoryMiB of the task, a size Fargate allows for the CPU (256: 512-2048; 512:
	// 1024-4096; 1024: 2048-8192; 2048: 4096-16384; 4096: 8192-30720, in steps of 1024).
	// Default: 512.
	MemoryMiB int `json:"memoryMiB,omitempty" yaml:"memoryMiB,omitempty"`
	// DesiredCount of tasks: 1 to 100. Default: 2.
	DesiredCount int `json:"desiredCount,omitempty" yaml:"desiredCount,omitempty"`
	// HealthCheckPath the target groups probe; it must answer 200. Default: "/health".
	HealthCheckPath string `json:"healthCheckPath,omitempty" yaml:"healthCheckPath,omitempty"`
	// ListenerPort of the production listener (HTTP): 1 to 65535. Default: 80.
	ListenerPort int `json:"listenerPort,omitempty" yaml:"listenerPort,omitempty"`
	// TestListenerPort of the test listener, which serves the replacement tasks before
	// production traffic shifts (reachable from inside the VPC only): 1 to 65535, not
	// ListenerPort. Default: 9000.
	TestListenerPort int `json:"testListenerPort,omitempty" yaml:"testListenerPort,omitempty"`
	// Dockerfile path in the repository. Default: "Dockerfile".
	Dockerfile string `json:"dockerfile,omitempty" yaml:"dockerfile,omitempty"`
	// Context directory of the docker build. Default: ".".
	Context string `json:"context,omitempty" yaml:"context,omitempty"`
	// Environment variables of the container (not AWS_ or ECS_ prefixed). Default: none. A
	// variable that looks like a secret (by name or value) is refused: use Secrets.
	Environment map[string]string `json:"environment,omitempty" yaml:"environment,omitempty"`
	// Secrets the container gets as environment variables, by name: references to Secrets
	// Manager secrets or SSM SecureString parameters, which ECS resolves when a task starts
	// (the task's execution role may read exactly these). Default: none.
	Secrets map[string]Secret `json:"secrets,omitempty" yaml:"secrets,omitempty"`
	// BaseImage is an ECR image whose new pushes rebuild the service (an ECR source action).
	// The build passes it, pinned by digest, as the build argument BASE_IMAGE. Default: none.
	BaseImage *BaseImage `json:"baseImage,omitempty" yaml:"baseImage,omitempty"`
	// ScanThreshold is the lowest severity of the Amazon Inspector findings that stop a release:
	// the pipeline scans each image after the build, and a finding of this severity or a
	// higher one fails the Scan stage, before staging. One of CRITICAL, HIGH, MEDIUM, LOW.
	// Default: HIGH.
	ScanThreshold string `json:"scanThreshold,omitempty" yaml:"scanThreshold,omitempty"`
	// KeepImages: the ECR lifecycle keeps the newest this many build images, and as many of
	// the images released to each environment, so a running image is never deleted: 2 to 1000.
	// Default: 30.
	KeepImages int `json:"keepImages,omitempty" yaml:"keepImages,omitempty"`
	// TerminationWaitMinutes: how long the original (blue) tasks keep running after a
	// successful deployment, ready for a rollback: 1 to 2880. Default: 5.
	TerminationWaitMinutes int `json:"terminationWaitMinutes,omitempty" yaml:"terminationWaitMinutes,omitempty"`
}

// BaseImage is an ECR repository and tag the pipeline watches.
type BaseImage struct {
	// Repository name in ECR (in the same account and region). Required.
	Repository string `json:"repository" yaml:"repository"`
	// Tag whose pushes start the pipeline. Default: "release".
	Tag string `json:"tag,omitempty" yaml:"tag,omitempty"`
}

// PredefinedEcsConfigs lists every predefined CodeDeploy ECS deployment configuration.
var PredefinedEcsConfigs = []PredefinedConfig{
	{"ECSAllAtOnce", 0},
	{"ECSCanary10Percent5Minutes", 5},
	{"ECSCanary10Percent15Minutes", 15},
	{"ECSLinear10PercentEvery1Minutes", 9},
	{"ECSLinear10PercentEvery3Minutes", 27},
}

// Container defaults.
const (
	DefaultContainerPort          = 8080
	DefaultContainerCPU           = 256
	DefaultContainerMemoryMiB     = 512
	DefaultDesiredCount           = 2
	DefaultHealthCheckPath        = "/health"
	DefaultListenerPort           = 80
	DefaultTestListenerPort       = 9000
	DefaultDockerfile             = "Dockerfile"
	DefaultBuildContext           = "."
	DefaultBaseImageTag           = "release"
	DefaultKeepImages             = 30
	DefaultScanThreshold          = "HIGH"
	DefaultTerminationWaitMinutes = 5
	DefaultEcsStagingConfig       = "ECSAllAtOnce"
	DefaultEcsProductionConfig    = "ECSCanary10Percent5Minutes"
	DefaultTarget5xxThreshold     = 5
	DefaultLoadBalancer5xxThresh  = 5
	DefaultUnhealthyHosts         = 1
	DefaultP99LatencyMillis       = 1000
)

// FargateMemory lists the task memory sizes Fargate allows for each CPU size.
var FargateMemory = map[int][2]int{256: {512, 2048}, 512: {1024, 4096}, 1024: {2048, 8192}, 2048: {4096, 16384}, 4096: {8192, 30720}}

// ContainerName is the name of the service's container in its task definition and appspec.
const ContainerName = "app"

// withDefaults fills in a container's defaults.
func (c Container) withDefaults() *Container {
	out := c
	setInt := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setInt(&out.Port, DefaultContainerPort)
	setInt(&out.CPU, DefaultContainerCPU)
	setInt(&out.MemoryMiB, DefaultContainerMemoryMiB)
	setInt(&out.DesiredCount, DefaultDesiredCount)
	setInt(&out.ListenerPort, DefaultListenerPort)
	setInt(&out.TestListenerPort, DefaultTestListenerPort)
	setInt(&out.KeepImages, DefaultKeepImages)
	if out.ScanThreshold == "" {
		out.ScanThreshold = DefaultScanThreshold
	}
	setInt(&out.TerminationWaitMinutes, DefaultTerminationWaitMinutes)
	if out.HealthCheckPath == "" {
		out.HealthCheckPath = DefaultHealthCheckPath
	}
	if out.Dockerfile == "" {
		out.Dockerfile = DefaultDockerfile
	}
	if out.Context == "" {
		out.Context = DefaultBuildContext
	}
	out.Environment = cloneMap(out.Environment)
	out.Secrets = maps.Clone(out.Secrets)
	if out.BaseImage != nil {
		b := *out.BaseImage
		if b.Tag == "" {
			b.Tag = DefaultBaseImageTag
		}
		out.BaseImage = &b
	}
	return &out
}

// ScanSeverities are the Amazon Inspector severities, from the highest.
var ScanSeverities = []string{"CRITICAL", "HIGH", "MEDIUM", "LOW"}
