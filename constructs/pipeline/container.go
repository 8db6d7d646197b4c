package pipeline

import (
	"gopkg.in/yaml.v3"

	"github.com/golden-pipelines/microservice-pipelines/constructs/buildspec"
	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// Files the container pipeline hands from action to action.
const (
	// ImageDetailFile names the released image by digest; CodePipeline's CodeDeployToECS
	// action reads exactly this name.
	ImageDetailFile = "imageDetail.json"
	// TaskDefinitionFile is the task definition template with the image placeholder.
	TaskDefinitionFile = "taskdef.json"
	// AppSpecFile is the CodeDeploy appspec of the environment.
	AppSpecFile = "appspec.yaml"
	// ImagePlaceholder is what the task definition template names the image by; CodeDeploy's
	// action replaces <IMAGE1_NAME> with the ImageURI of imageDetail.json.
	ImagePlaceholder = "IMAGE1_NAME"
	// BaseImageArtifact is the ECR source's output, the secondary input of the build.
	BaseImageArtifact = "BaseImage"
)

// ContainerBuildSpec is the build stage of a container service: unit tests (JUnit report),
// then steps/docker-build.sh: docker build tagged build-<id> (with the base image, pinned by
// digest, as BASE_IMAGE when the service has an ECR source), push, and imageDetail.json naming
// the pushed image by digest.
//
// Environment: SERVICE, REPORT_DIR, DOCKERFILE, CONTEXT and REPOSITORY_URI are set by the
// project; CodeBuild sets CODEBUILD_BUILD_ID, AWS_REGION and, with an ECR source,
// CODEBUILD_SRC_DIR_BaseImage.
func ContainerBuildSpec(svc spec.Service) buildspec.Spec {
	c, b := svc.Container, svc.Build
	user := userCommands(svc, map[string]string{"REPORT_DIR": b.ReportDir})
	return buildspec.Spec{
		Variables: map[string]string{
			"SERVICE":    svc.Name,
			"REPORT_DIR": svc.InFolder(b.ReportDir),
			"DOCKERFILE": svc.InFolder(c.Dockerfile),
			"CONTEXT":    svc.InFolder(c.Context),
		},
		ExportedVariables: []string{BuildTagVariable},
		Install: buildspec.Phase{
			Setup:  buildTagSetup,
			Script: append(step("check-build-tag"), user("build.install", b.Install)...),
		},
		PreBuild: buildspec.Phase{Script: append(step("prepare-reports"), user("build.test", b.Test)...)},
		Build:    buildspec.Phase{Script: step("docker-build")},
		Reports: map[string]buildspec.Report{
			UnitTestReportGroup: {BaseDirectory: svc.InFolder(b.ReportDir), Files: []string{"**/*.xml"}, FileFormat: "JUNITXML"},
		},
		Artifacts: &buildspec.Artifacts{Files: []string{ImageDetailFile, ReleaseFile}},
	}
}

// PrepareSpec renders what CodeDeploy deploys to one target: steps/prepare-ecs.sh, which
// documents what it writes and the environment it reads. CodeBuild's own shell then exports
// the stage's URL the step read (SERVICE_URL, for the integration tests).
func PrepareSpec() buildspec.Spec {
	return buildspec.Spec{
		ExportedVariables: []string{"SERVICE_URL"},
		Build:             buildspec.Phase{Script: steps("not-deployed-yet", "target-session", "prepare-ecs")},
		PostBuild:         buildspec.Phase{Setup: []string{`export SERVICE_URL="$(cat service-url 2>/dev/null || true)"`}},
		Artifacts:         &buildspec.Artifacts{Files: []string{TaskDefinitionFile, AppSpecFile, ImageDetailFile}},
	}
}

// RecordReleaseSpec runs after a successful deployment: steps/record-release.sh tags the
// released image deployed-<environment>-<release>, which the repository's lifecycle policy
// keeps.
func RecordReleaseSpec() buildspec.Spec {
	return buildspec.Spec{
		Build: buildspec.Phase{Script: step("record-release")},
	}
}

// AppSpec is CodeDeploy's application specification for an ECS deployment.
type AppSpec struct {
	Version   string                       `yaml:"version"`
	Resources []map[string]AppSpecResource `yaml:"Resources"`
	Hooks     []map[string]string          `yaml:"Hooks,omitempty"`
}

// AppSpecResource is the ECS service CodeDeploy updates.
type AppSpecResource struct {
	Type       string            `yaml:"Type"`
	Properties AppSpecProperties `yaml:"Properties"`
}

// AppSpecProperties names the task definition (CodeDeploy fills in <TASK_DEFINITION>) and the
// container the load balancer sends traffic to.
type AppSpecProperties struct {
	TaskDefinition   string           `yaml:"TaskDefinition"`
	LoadBalancerInfo LoadBalancerInfo `yaml:"LoadBalancerInfo"`
}

// LoadBalancerInfo is the container and port behind the target groups.
type LoadBalancerInfo struct {
	ContainerName string `yaml:"ContainerName"`
	ContainerPort int    `yaml:"ContainerPort"`
}

// StageAppSpec is the appspec of one stage: the container and port, and the stage's lifecycle
// hooks in lifecycle order.
func StageAppSpec(svc spec.Service, env spec.Stage) string {
	a := AppSpec{
		Version: "0.0",
		Resources: []map[string]AppSpecResource{{"TargetService": {
			Type: "AWS::ECS::Service",
			Properties: AppSpecProperties{
				TaskDefinition:   "<TASK_DEFINITION>",
				LoadBalancerInfo: LoadBalancerInfo{ContainerName: spec.ContainerName, ContainerPort: svc.Container.Port},
			},
		}}},
	}
	for _, h := range spec.EcsHooks(env.Hooks) {
		a.Hooks = append(a.Hooks, map[string]string{h.Event: h.Function})
	}
	out, err := yaml.Marshal(a)
	if err != nil {
		panic(err)
	}
	return string(out)
}
