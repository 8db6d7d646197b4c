package spec

// Names derived from the service name. They are deterministic so that the pipeline stack and
// the service stacks can refer to each other without cross-stack references in both directions.

// PipelineStackName is the stack holding the service's pipeline.
func (s *Service) PipelineStackName() string { return s.Name + "-pipeline" }

// StackName is the service stack of one environment.
func (s *Service) StackName(env string) string { return s.Name + "-" + env }

// FunctionName is the Lambda function of one environment.
func (s *Service) FunctionName(env string) string { return s.Name + "-" + env }

// HookFunctionName is a CodeDeploy hook function of one environment, e.g. "pretraffic".
func (s *Service) HookFunctionName(env, hook string) string { return s.Name + "-" + env + "-" + hook }

// DeploymentGroupName is the CodeDeploy application and deployment group of one environment.
func (s *Service) DeploymentGroupName(env string) string { return s.Name + "-" + env }

// ReleaseParameterPrefix starts the name of every release parameter.
const ReleaseParameterPrefix = "/golden-pipelines/"

// ReleaseParameterName is the SSM parameter that records the build an environment runs.
func (s *Service) ReleaseParameterName(env string) string {
	return ReleaseParameterPrefix + s.Name + "/" + env + "/release"
}

// BootstrapRelease is the value of a release parameter before the pipeline released anything:
// the service stack then runs a placeholder that answers "not released yet".
const BootstrapRelease = "bootstrap"

// LiveAlias is the alias CodeDeploy shifts and every caller invokes.
const LiveAlias = "live"

// TaskDefinitionParameterName (containers) is the SSM parameter holding the ARN of the task
// definition the pipeline renders each release of an environment from.
func (s *Service) TaskDefinitionParameterName(env string) string {
	return ReleaseParameterPrefix + s.Name + "/" + env + "/task-definition"
}

// URLParameterName (containers) is the SSM parameter holding an environment's production URL.
func (s *Service) URLParameterName(env string) string {
	return ReleaseParameterPrefix + s.Name + "/" + env + "/url"
}

// RepositoryName (containers) is the ECR repository of the service's release images.
func (s *Service) RepositoryName() string { return s.Name }
