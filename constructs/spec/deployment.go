package spec

import "math"

// PredefinedConfig is one of CodeDeploy's predefined deployment configurations.
type PredefinedConfig struct {
	// Name as written in a service definition: CodeDeploy's name without the
	// "CodeDeployDefault.Lambda" prefix (Lambda) or the "CodeDeployDefault." prefix (ECS).
	Name string
	// ShiftMinutes is how long the traffic shift takes from start to end.
	ShiftMinutes int
}

// PredefinedConfigs lists every predefined CodeDeploy Lambda deployment configuration.
var PredefinedConfigs = []PredefinedConfig{
	{"AllAtOnce", 0},
	{"Canary10Percent5Minutes", 5},
	{"Canary10Percent10Minutes", 10},
	{"Canary10Percent15Minutes", 15},
	{"Canary10Percent30Minutes", 30},
	{"Linear10PercentEvery1Minute", 9},
	{"Linear10PercentEvery2Minutes", 18},
	{"Linear10PercentEvery3Minutes", 27},
	{"Linear10PercentEvery10Minutes", 90},
}

// Default deployment configurations per environment.
const (
	DefaultStagingConfig    = "AllAtOnce"
	DefaultProductionConfig = "Canary10Percent5Minutes"
)

// deployOverheadMinutes covers what a deployment does beside shifting traffic: the stack
// update, publishing the version, the hooks and CloudFormation's own polling.
const deployOverheadMinutes = 30

// maxCodeBuildMinutes is CodeBuild's upper limit for a build's timeout.
const maxCodeBuildMinutes = 480

// DeployProjectSlackMinutes is what a Lambda deploy project's CodeBuild timeout adds to
// DeployTimeoutMinutes, so that the step's own timeout (which cancels the update and restores
// the release) always fires first.
const DeployProjectSlackMinutes = 10

// MaxShiftMinutes is the longest traffic shift a Lambda environment may take: the deploy
// project waits for it, and CodeBuild waits at most maxCodeBuildMinutes.
const MaxShiftMinutes = maxCodeBuildMinutes - deployOverheadMinutes - DeployProjectSlackMinutes

func predefined(name string) (PredefinedConfig, bool) {
	for _, c := range append(append([]PredefinedConfig(nil), PredefinedConfigs...), PredefinedEcsConfigs...) {
		if c.Name == name {
			return c, true
		}
	}
	return PredefinedConfig{}, false
}

// ShiftMinutes is how long the traffic shift of this deployment takes, from the first to the
// last step. It is 0 for an unknown predefined name (Validate rejects those). Lambda and ECS
// configs alike.
func (d Deployment) ShiftMinutes() int {
	if d.Custom != nil {
		return d.Custom.ShiftMinutes()
	}
	c, _ := predefined(d.Config)
	return c.ShiftMinutes
}

// ShiftMinutes of a custom deployment: one interval for a canary; for a linear shift one
// interval between each of its steps.
func (c CustomDeployment) ShiftMinutes() int {
	if c.Type == "linear" && c.Percentage > 0 {
		steps := int(math.Ceil(100 / float64(c.Percentage)))
		return (steps - 1) * c.IntervalMinutes
	}
	return c.IntervalMinutes
}

// DeployTimeoutMinutes is how long the pipeline waits for this deployment before it fails it:
// the traffic shift plus a fixed allowance for the stack update and the hooks.
func (d Deployment) DeployTimeoutMinutes() int {
	return d.ShiftMinutes() + deployOverheadMinutes
}

// Describe names the deployment for people: the predefined name, or the custom shape.
func (d Deployment) Describe() string {
	if d.Custom != nil {
		if d.Custom.Type == "linear" {
			return "Linear" + itoa(d.Custom.Percentage) + "PercentEvery" + itoa(d.Custom.IntervalMinutes) + "Minutes (custom)"
		}
		return "Canary" + itoa(d.Custom.Percentage) + "Percent" + itoa(d.Custom.IntervalMinutes) + "Minutes (custom)"
	}
	return d.Config
}
