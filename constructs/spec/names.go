package spec

import "fmt"

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

// AlarmName is an alarm that guards one environment's deployments: <name>-<environment>-<alarm>.
// The service stacks name every deployment alarm so, and the pipeline stack's dashboard finds
// them by these names (no cross-stack reference from the pipeline to the service stacks).
func (s *Service) AlarmName(env, alarm string) string { return s.Name + "-" + env + "-" + alarm }

// AlarmDescription is the description of a deployment alarm: its name, what it measures, and
// when it fires. Validation checks its length against CloudWatch's limit.
func AlarmDescription(name, what, comparison string, threshold float64) string {
	return fmt.Sprintf("%s: stops and rolls back a deployment when %s %s %g", name, what, comparison, threshold)
}

// lambdaDefaultAlarms are the names (after the service and environment) of a Lambda service's
// default alarms, in the order the service stack creates them; custom alarms may not reuse them.
var lambdaDefaultAlarms = []string{"errors", "throttles", "p99-duration"}

// DeploymentAlarmNames are the names of every alarm that guards an environment's deployments
// (the defaults of the service's runtime, then its own), in the order the service stack creates
// them.
func (s *Service) DeploymentAlarmNames(env string) []string {
	defaults := lambdaDefaultAlarms
	if s.IsContainer() {
		defaults = ecsDefaultAlarms
	}
	var out []string
	for _, a := range defaults {
		out = append(out, s.AlarmName(env, a))
	}
	if st := s.Stage(env); st != nil {
		for _, c := range st.Alarms.Custom {
			out = append(out, s.AlarmName(env, c.Name))
		}
		if a := st.Safety.Canary.alarm(); a != "" {
			out = append(out, s.AlarmName(env, a))
		}
	}
	return out
}

// NotificationTopicName is the SNS topic that receives the service's pipeline failures, approval
// requests, production successes and CodeDeploy rollbacks.
func (s *Service) NotificationTopicName() string { return s.Name + "-notifications" }

// ProductionFailedAlarmName is the alarm that is in ALARM while the service's last production
// deployment failed, and returns to OK with the next successful one. Its state changes measure
// the time to restore. The name has a prefix of its own ("golden-pipelines.", with a dot no
// service or deployment alarm name can hold), which the shared stack's rule matches.
func (s *Service) ProductionFailedAlarmName() string { return ProductionFailedAlarmPrefix + s.Name }

// ProductionFailedAlarmPrefix starts the name of every service's production-failed alarm.
const ProductionFailedAlarmPrefix = "golden-pipelines.production-failed."

// DashboardName is the service's CloudWatch dashboard (delivery figures and deployment health).
func (s *Service) DashboardName() string { return s.Name + "-delivery" }
