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
// docker build tagged build-<id> (with the base image, pinned by digest, as BASE_IMAGE when
// the service has an ECR source), push, and imageDetail.json naming the pushed image by
// digest. The repository's tags are immutable: a second push of a tag fails.
//
// Environment: SERVICE, REPORT_DIR, DOCKERFILE, CONTEXT and REPOSITORY_URI are set by the
// project; CodeBuild sets CODEBUILD_BUILD_ID, AWS_REGION and, with an ECR source,
// CODEBUILD_SRC_DIR_BaseImage.
func ContainerBuildSpec(svc spec.Service) buildspec.Spec {
	c, b := svc.Container, svc.Build
	return buildspec.Spec{
		Variables: map[string]string{
			"SERVICE":    svc.Name,
			"REPORT_DIR": b.ReportDir,
			"DOCKERFILE": c.Dockerfile,
			"CONTEXT":    c.Context,
		},
		ExportedVariables: []string{BuildTagVariable},
		Install: buildspec.Phase{
			Setup:  buildTagSetup,
			Script: append(append([]string{}, checkBuildTag...), b.Install...),
		},
		PreBuild: buildspec.Phase{Script: append([]string{`mkdir -p "$REPORT_DIR"`}, b.Test...)},
		Build: buildspec.Phase{Script: []string{
			`registry="${REPOSITORY_URI%%/*}"`,
			`repository="${REPOSITORY_URI#*/}"`,
			`aws ecr get-login-password --region "$AWS_REGION" | docker login --username AWS --password-stdin "$registry"`,
			`build_args=()`,
			`if [ -n "${CODEBUILD_SRC_DIR_` + BaseImageArtifact + `:-}" ]; then`,
			`  base="$(jq -r .ImageURI "$CODEBUILD_SRC_DIR_` + BaseImageArtifact + `/` + ImageDetailFile + `")"`,
			`  case "$base" in *@sha256:?*) ;; *) echo "base image '$base' is not pinned by digest" >&2; exit 1 ;; esac`,
			`  build_args+=(--build-arg "BASE_IMAGE=$base")`,
			`fi`,
			`image="$REPOSITORY_URI:$BUILD_TAG"`,
			`docker build --file "$DOCKERFILE" --tag "$image" "${build_args[@]}" "$CONTEXT"`,
			`docker push "$image"`,
			`digest="$(aws ecr describe-images --repository-name "$repository" --image-ids imageTag="$BUILD_TAG" --query 'imageDetails[0].imageDigest' --output text)"`,
			`case "$digest" in sha256:?*) ;; *) echo "ECR has no digest for $image" >&2; exit 1 ;; esac`,
			`printf '{"ImageURI":"%s@%s"}\n' "$REPOSITORY_URI" "$digest" > ` + ImageDetailFile,
			`printf '{"service":"%s","release":"%s","image":"%s@%s","sourceVersion":"%s"}\n' \`,
			`  "$SERVICE" "$BUILD_TAG" "$REPOSITORY_URI" "$digest" "${CODEBUILD_RESOLVED_SOURCE_VERSION:-unknown}" > ` + ReleaseFile,
			`echo "released $REPOSITORY_URI@$digest as $BUILD_TAG"`,
		}},
		Reports: map[string]buildspec.Report{
			UnitTestReportGroup: {BaseDirectory: b.ReportDir, Files: []string{"**/*.xml"}, FileFormat: "JUNITXML"},
		},
		Artifacts: &buildspec.Artifacts{Files: []string{ImageDetailFile, ReleaseFile}},
	}
}

// PrepareSpec renders what CodeDeploy deploys to one environment from the build's
// imageDetail.json: taskdef.json, the environment's current task definition (as CDK last
// deployed it: CPU, memory, roles, environment, logging) with the image replaced by the
// placeholder; appspec.yaml; and imageDetail.json itself.
//
// Environment: RELEASE comes from the pipeline; TASK_DEFINITION_ARN (from the service stack's
// SSM parameter), APPSPEC, ENVIRONMENT and REPOSITORY_URI are set by the project.
func PrepareSpec() buildspec.Spec {
	return buildspec.Spec{
		Build: buildspec.Phase{Script: []string{
			`: "${RELEASE:?RELEASE (the build tag from the build stage) is not set}"`,
			`case "$RELEASE" in build-?*) ;; *) echo "refusing to release '$RELEASE': only immutable build-<id> tags are deployed" >&2; exit 1 ;; esac`,
			`image="$(jq -r .ImageURI ` + ImageDetailFile + `)"`,
			`case "$image" in "$REPOSITORY_URI"@sha256:?*) ;; *) echo "refusing image '$image': not this service's image pinned by digest" >&2; exit 1 ;; esac`,
			`aws ecs describe-task-definition --task-definition "$TASK_DEFINITION_ARN" --query taskDefinition --output json > current-taskdef.json`,
			`jq --arg name ` + buildspec.ShellQuote(spec.ContainerName) + ` --arg image '<` + ImagePlaceholder + `>' '`,
			`  del(.taskDefinitionArn, .revision, .status, .requiresAttributes, .compatibilities, .registeredAt, .registeredBy, .deregisteredAt)`,
			`  | .containerDefinitions |= map(if .name == $name then .image = $image else . end)' current-taskdef.json > ` + TaskDefinitionFile,
			`jq -e --arg name ` + buildspec.ShellQuote(spec.ContainerName) + ` '[.containerDefinitions[] | select(.name == $name and .image == "<` + ImagePlaceholder + `>")] | length == 1' ` + TaskDefinitionFile + ` >/dev/null ||`,
			`  { echo "the task definition has no container named ` + spec.ContainerName + `" >&2; exit 1; }`,
			`printf '%s\n' "$APPSPEC" > ` + AppSpecFile,
			`echo "prepared $image for $ENVIRONMENT"`,
		}},
		Artifacts: &buildspec.Artifacts{Files: []string{TaskDefinitionFile, AppSpecFile, ImageDetailFile}},
	}
}

// RecordReleaseSpec runs after a successful deployment: it tags the released image
// deployed-<environment>-<release> (a new tag on the same digest), which the repository's
// lifecycle policy keeps. A re-run finds the tag there and goes on.
//
// Environment: RELEASE comes from the pipeline; ENVIRONMENT and REPOSITORY_URI are set by the
// project; imageDetail.json is the input.
func RecordReleaseSpec() buildspec.Spec {
	return buildspec.Spec{
		Build: buildspec.Phase{Script: []string{
			`: "${RELEASE:?RELEASE (the build tag from the build stage) is not set}"`,
			`image="$(jq -r .ImageURI ` + ImageDetailFile + `)"`,
			`case "$image" in "$REPOSITORY_URI"@sha256:?*) ;; *) echo "refusing image '$image': not this service's image pinned by digest" >&2; exit 1 ;; esac`,
			`repository="${REPOSITORY_URI#*/}"`,
			`manifest="$(aws ecr batch-get-image --repository-name "$repository" --image-ids imageDigest="${image#*@}" --query 'images[0].imageManifest' --output text)"`,
			`if ! out="$(aws ecr put-image --repository-name "$repository" --image-tag "deployed-$ENVIRONMENT-$RELEASE" --image-manifest "$manifest" 2>&1)"; then`,
			`  case "$out" in *ImageAlreadyExistsException*) ;; *) echo "$out" >&2; exit 1 ;; esac`,
			`fi`,
			`echo "recorded $image as deployed-$ENVIRONMENT-$RELEASE"`,
		}},
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

// EnvironmentAppSpec is the appspec of one environment: the container and port, and the
// environment's lifecycle hooks in lifecycle order.
func EnvironmentAppSpec(svc spec.Service, env spec.Environment) string {
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
