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

// The prefixes of CodeDeploy's names for its predefined configurations: a Lambda one is
// LambdaConfigPrefix+Name, an ECS one EcsConfigPrefix+Name.
const (
	LambdaConfigPrefix = "CodeDeployDefault.Lambda"
	EcsConfigPrefix    = "CodeDeployDefault."
)

// Default deployment configurations per environment.
const (
	DefaultStagingConfig    = "AllAtOnce"
	DefaultProductionConfig = "Canary10Percent5Minutes"
)

// deployOverheadMinutes covers what a deployment does beside shifting traffic: the stack
// update, publishing the version and CloudFormation's own polling.
const deployOverheadMinutes = 30

// HookWaitMinutes is how long CodeDeploy waits for a Lambda lifecycle hook to report its
// status before it fails the deployment: one hour (CodeDeploy User Guide, "AppSpec 'hooks'
// section for an AWS Lambda deployment": a hook function must report within one hour). The
// deploy step waits that long for every hook of the environment, so that a hook that never
// reports ends in CodeDeploy's own rollback, not in a cancelled stack update.
const HookWaitMinutes = 60

// maxCodeBuildMinutes is CodeBuild's upper limit for a build's timeout.
const maxCodeBuildMinutes = 480

// DeployBusyMinutes is how long the deploy step waits for another update of the stack to end
// (the previous execution's cleanup, a cdk deploy) before it starts its own.
const DeployBusyMinutes = 15

// DeploySettleMinutes is how long the deploy step waits, after its own timeout (when it cancels
// the update), for the stack to settle, so that it can point the release parameter at what the
// stack really resolved.
const DeploySettleMinutes = 15

// DeployProjectSlackMinutes is what a Lambda deploy project's CodeBuild timeout adds to the
// step's own waits (DeployBusyMinutes + the stage's LambdaDeployTimeoutMinutes +
// DeploySettleMinutes), so that the step always ends by itself, with the release parameter
// settled, before CodeBuild stops it.
const DeployProjectSlackMinutes = 5

// MaxShiftMinutes is the longest traffic shift a Lambda stage without hooks may take: the
// deploy project waits for it, and CodeBuild waits at most maxCodeBuildMinutes. Each hook takes
// HookWaitMinutes off it (MaxLambdaShiftMinutes).
const MaxShiftMinutes = maxCodeBuildMinutes - deployOverheadMinutes - DeployBusyMinutes - DeploySettleMinutes - DeployProjectSlackMinutes

// MaxLambdaShiftMinutes is the longest traffic shift a Lambda stage with that many hooks
// may take.
func MaxLambdaShiftMinutes(hooks int) int { return MaxShiftMinutes - hooks*HookWaitMinutes }

// LambdaHookCount is the number of CodeDeploy hooks of a Lambda stage.
func (st *Stage) LambdaHookCount() int {
	n := 0
	for _, h := range []string{st.Hooks.PreTraffic, st.Hooks.PostTraffic} {
		if h != "" {
			n++
		}
	}
	return n
}

// LambdaDeployTimeoutMinutes is how long a Lambda stage's deploy step waits for the outcome
// before it cancels the update: the traffic shift, the fixed allowance for the stack update,
// and CodeDeploy's wait for each hook.
func (st *Stage) LambdaDeployTimeoutMinutes() int {
	return st.Deployment.DeployTimeoutMinutes() + st.LambdaHookCount()*HookWaitMinutes + st.Bake()
}

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

// DeployTimeoutMinutes is the traffic shift plus a fixed allowance for the stack update (see
// Environment.LambdaDeployTimeoutMinutes for the wait that counts hooks too).
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
