// Package spec holds the service definition: the one typed value a team writes to get a golden
// pipeline. Every field has a documented default that WithDefaults fills in, and Validate
// reports every problem at once, naming the service, the field and the fix, before any
// construct is created.
package spec

// Service is one microservice's definition. Required: Name, and either Lambda (with Runtime and
// Handler) or Container (with Build.Test).
type Service struct {
	// Name of the service: 2-28 characters, lowercase letters, digits and hyphens, starting with
	// a letter. It prefixes every stack (<name>-pipeline, <name>-staging, <name>-production),
	// the functions (<name>-<environment>) and the release parameters.
	Name string `json:"name" yaml:"name"`
	// Repository is the existing repository holding the service's code: a CodeCommit
	// repository's name, or with source.connection owner/name. Default: the service name.
	Repository string `json:"repository,omitempty" yaml:"repository,omitempty"`
	// Branch whose pushes start the pipeline (CodeCommit: an EventBridge rule; a connection: a
	// CodePipeline trigger; never polling). Default: "main".
	Branch string `json:"branch,omitempty" yaml:"branch,omitempty"`
	// Source: a CodeConnections connection instead of CodeCommit, the service's folder in a
	// monorepo, release tags, pull-request checks.
	Source Source `json:"source,omitempty" yaml:"source,omitempty"`

	// Lambda describes the function that is deployed to every environment. Set lambda or
	// container, not both.
	Lambda Lambda `json:"lambda,omitempty" yaml:"lambda,omitempty"`
	// Container describes the container service (ECS on Fargate, blue/green through
	// CodeDeploy) deployed to every environment. Set lambda or container, not both.
	Container *Container `json:"container,omitempty" yaml:"container,omitempty"`
	// Build describes how the build stage tests and packages the service.
	Build Build `json:"build,omitempty" yaml:"build,omitempty"`

	// Home is the account and region of the pipeline, its build, its packages and images.
	// Default: the app's (the CDK CLI's credentials). Required, both parts, when a target names
	// an account or a region.
	Home Target `json:"home,omitempty" yaml:"home,omitempty"`
	// Stages of the release, in order. Default: staging (pre-production), then production
	// behind a manual approval, both in the home account and region, set by the shorthand
	// fields staging, production, manualApproval and integrationTest (which a definition with
	// stages does not use).
	Stages []Stage `json:"stages,omitempty" yaml:"stages,omitempty"`

	// IntegrationTest (shorthand, without stages) runs against staging after its deployment;
	// a failure stops promotion.
	IntegrationTest IntegrationTest `json:"integrationTest,omitempty" yaml:"integrationTest,omitempty"`
	// ManualApproval (shorthand, without stages) puts a manual approval before production.
	// Default: true.
	ManualApproval *bool `json:"manualApproval,omitempty" yaml:"manualApproval,omitempty"`
	// Staging (shorthand, without stages): the first stage. Default deployment: AllAtOnce.
	Staging Environment `json:"staging,omitempty" yaml:"staging,omitempty"`
	// Production (shorthand, without stages) is deployed after staging (and the approval).
	// Default deployment: Canary10Percent5Minutes.
	Production Environment `json:"production,omitempty" yaml:"production,omitempty"`

	// Notifications subscribes people and tools to the service's notification topic, which
	// receives pipeline failures, manual approval requests, production successes and
	// CodeDeploy rollbacks. Default: no subscribers (the topic exists all the same).
	Notifications Notifications `json:"notifications,omitempty" yaml:"notifications,omitempty"`

	// fromShorthand: the stages came from the two-stage shorthand (set by WithDefaults), so
	// problems name the shorthand's fields.
	fromShorthand bool

	// LogRetentionDays for the function, hook, container and CodeBuild logs. Must be one of CloudWatch's
	// retention values (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...). Default: 30.
	LogRetentionDays int `json:"logRetentionDays,omitempty" yaml:"logRetentionDays,omitempty"`
}

// Lambda is the function's runtime configuration, the same in every environment.
type Lambda struct {
	// Runtime: one of SupportedRuntimes (nodejs22.x, python3.12, python3.13).
	// Required for a Lambda service.
	Runtime string `json:"runtime" yaml:"runtime"`
	// Handler inside the package, e.g. "index.handler" or "app.main". Required for a Lambda
	// service.
	Handler string `json:"handler" yaml:"handler"`
	// MemoryMiB: 128 to 10240. Default: 256.
	MemoryMiB int `json:"memoryMiB,omitempty" yaml:"memoryMiB,omitempty"`
	// TimeoutSeconds: 1 to 900. Default: 10.
	TimeoutSeconds int `json:"timeoutSeconds,omitempty" yaml:"timeoutSeconds,omitempty"`
	// Environment variables of the function. Names must be valid shell names and not one of
	// the variables Lambda reserves (ReservedEnvironment: AWS_REGION, LAMBDA_TASK_ROOT, TZ, …).
	// Default: none. A variable that looks like a secret (by name or value) is refused: use
	// Secrets.
	Environment map[string]string `json:"environment,omitempty" yaml:"environment,omitempty"`
	// Secrets the function reads, by variable name: references to Secrets Manager secrets or
	// SSM SecureString parameters. The function gets <NAME>_SECRET_ARN or <NAME>_PARAMETER_NAME
	// and permission to read it. Default: none.
	Secrets map[string]Secret `json:"secrets,omitempty" yaml:"secrets,omitempty"`
}

// Build configures the CodeBuild project of the build stage. Commands run under bash with
// `set -euo pipefail`: the first failing command fails the build. The Lambda defaults work on
// CodeBuild's standard image with the runtime's Node.js or Python, for the layouts of
// examples/node-lambda and examples/python-lambda.
type Build struct {
	// Install commands. Default: "npm ci" for Node.js; for Python "pip install -r
	// requirements.txt -t package" (the runtime dependencies, into the package) then "pip
	// install -r requirements-dev.txt" (the test tools, pytest at least, into the build
	// environment only: they never ship). Both files must exist; requirements.txt may list
	// nothing.
	Install []string `json:"install,omitempty" yaml:"install,omitempty"`
	// Test commands: the unit tests. They must write JUnit XML files under ReportDir, which
	// they see as $REPORT_DIR. Default: "npm test" for Node.js (the package's test script must
	// write the XML there, and should test what its build script produces);
	// `PYTHONPATH=package:src python -m pytest --junitxml="$REPORT_DIR/junit.xml" tests` for
	// Python: the tests in tests/ import the code from src/ and its dependencies from
	// package/, as the function will; no test collected fails the build.
	Test []string `json:"test,omitempty" yaml:"test,omitempty"`
	// ReportDir holds the JUnit XML files published as a CodeBuild report group.
	// Default: "reports".
	ReportDir string `json:"reportDir,omitempty" yaml:"reportDir,omitempty"`
	// Package commands fill PackageDir with what the function runs, and nothing else.
	// Default: "npm run build" for Node.js (the package's build script must leave in dist
	// only what runs: a bundle, or the code with its production dependencies, never dev
	// dependencies or tests); for Python "cp -r src/. package/" then "find package -name
	// __pycache__ -prune -exec rm -rf {} +" (the code next to its dependencies, without the
	// byte code pip and the test run leave behind).
	Package []string `json:"package,omitempty" yaml:"package,omitempty"`
	// PackageDir is zipped into the release package. Default: "dist" for Node.js, "package" for
	// Python.
	PackageDir string `json:"packageDir,omitempty" yaml:"packageDir,omitempty"`
	// ComputeType of CodeBuild: SMALL, MEDIUM, LARGE, X2_LARGE. Default: SMALL.
	ComputeType string `json:"computeType,omitempty" yaml:"computeType,omitempty"`
	// TimeoutMinutes of the build: 5 to 480. Default: 30.
	TimeoutMinutes int `json:"timeoutMinutes,omitempty" yaml:"timeoutMinutes,omitempty"`
}

// IntegrationTest runs the service's own tests against the staging deployment in CodeBuild,
// from the same source revision. The commands see RELEASE (the build tag) and AWS_REGION, and
// for a Lambda service FUNCTION_NAME (the staging function), FUNCTION_ALIAS ("live") and
// FUNCTION_ARN (the alias ARN), for a container service SERVICE_URL (staging's production
// URL). Empty Commands: no integration test action.
type IntegrationTest struct {
	// Install commands run before Commands. Default: none.
	Install []string `json:"install,omitempty" yaml:"install,omitempty"`
	// Commands of the test; any failing command fails the action and stops promotion.
	Commands []string `json:"commands,omitempty" yaml:"commands,omitempty"`
	// TimeoutMinutes: 5 to 480. Default: 20.
	TimeoutMinutes int `json:"timeoutMinutes,omitempty" yaml:"timeoutMinutes,omitempty"`
}

// Environment is one deployment target (staging or production).
type Environment struct {
	// Deployment is how traffic moves to the new version.
	Deployment Deployment `json:"deployment,omitempty" yaml:"deployment,omitempty"`
	// Alarms guard the deployment: CodeDeploy stops and rolls back when one fires.
	Alarms Alarms `json:"alarms,omitempty" yaml:"alarms,omitempty"`
	// Hooks are optional validation functions run by CodeDeploy around the traffic shift.
	Hooks Hooks `json:"hooks,omitempty" yaml:"hooks,omitempty"`
	// Safety protects the stage beyond its traffic shift (Stage.safety).
	Safety Safety `json:"safety,omitempty" yaml:"safety,omitempty"`
}

// Deployment selects a CodeDeploy deployment configuration: either a predefined one by name
// (Config) or a custom one (Custom), not both.
type Deployment struct {
	// Config is a predefined CodeDeploy configuration. Lambda (PredefinedConfigs): AllAtOnce,
	// Canary10Percent5Minutes, Canary10Percent10Minutes, Canary10Percent15Minutes,
	// Canary10Percent30Minutes, Linear10PercentEvery1Minute, Linear10PercentEvery2Minutes,
	// Linear10PercentEvery3Minutes, Linear10PercentEvery10Minutes; default AllAtOnce in staging,
	// Canary10Percent5Minutes in production. Containers (PredefinedEcsConfigs): ECSAllAtOnce,
	// ECSCanary10Percent5Minutes, ECSCanary10Percent15Minutes, ECSLinear10PercentEvery1Minutes,
	// ECSLinear10PercentEvery3Minutes; default ECSAllAtOnce in staging,
	// ECSCanary10Percent5Minutes in production.
	Config string `json:"config,omitempty" yaml:"config,omitempty"`
	// Custom traffic shifting, created as a CodeDeploy deployment configuration of its own.
	Custom *CustomDeployment `json:"custom,omitempty" yaml:"custom,omitempty"`
	// AcknowledgeAllAtOnce must be true for production to use AllAtOnce: shifting all traffic
	// at once leaves the alarms no time to stop a bad release before every caller sees it.
	// Default: false.
	AcknowledgeAllAtOnce bool `json:"acknowledgeAllAtOnce,omitempty" yaml:"acknowledgeAllAtOnce,omitempty"`
}

// CustomDeployment is a canary (one step of Percentage, then the rest) or a linear (Percentage
// every interval) traffic shift.
type CustomDeployment struct {
	// Type: "canary" or "linear". Required.
	Type string `json:"type" yaml:"type"`
	// Percentage shifted in the first step (canary) or in each step (linear): 1 to 99. Required.
	Percentage int `json:"percentage" yaml:"percentage"`
	// IntervalMinutes between the steps: 1 to 2880. Required. A Lambda environment's whole
	// shift must also fit in what the deploy step can wait for: MaxShiftMinutes (415), less
	// an hour for each of the environment's hooks.
	IntervalMinutes int `json:"intervalMinutes" yaml:"intervalMinutes"`
}

// Alarms configures the default alarms (on a Lambda service's live alias, or on a container
// service's target groups and load balancer) and adds the service's own.
type Alarms struct {
	// ErrorsThreshold (Lambda): the alarm fires when the alias reports at least this many
	// errors in one minute. Default: 1.
	ErrorsThreshold int `json:"errorsThreshold,omitempty" yaml:"errorsThreshold,omitempty"`
	// ThrottlesThreshold (Lambda): the alarm fires at this many throttles in one minute.
	// Default: 1.
	ThrottlesThreshold int `json:"throttlesThreshold,omitempty" yaml:"throttlesThreshold,omitempty"`
	// P99DurationMillis (Lambda): the alarm fires when the p99 duration over one minute
	// reaches this. Default: 80% of the function timeout.
	P99DurationMillis int `json:"p99DurationMillis,omitempty" yaml:"p99DurationMillis,omitempty"`
	// Target5xxThreshold (containers): the alarm fires when either target group's targets
	// answer at least this many 5xx in one minute. Default: 5.
	Target5xxThreshold int `json:"target5xxThreshold,omitempty" yaml:"target5xxThreshold,omitempty"`
	// LoadBalancer5xxThreshold (containers): the alarm fires when the load balancer itself
	// answers at least this many 5xx in one minute. Default: 5.
	LoadBalancer5xxThreshold int `json:"loadBalancer5xxThreshold,omitempty" yaml:"loadBalancer5xxThreshold,omitempty"`
	// UnhealthyHostsThreshold (containers): the alarm fires when either target group has at
	// least this many unhealthy targets for two minutes. Default: 1.
	UnhealthyHostsThreshold int `json:"unhealthyHostsThreshold,omitempty" yaml:"unhealthyHostsThreshold,omitempty"`
	// P99LatencyMillis (containers): the alarm fires when the p99 target response time over
	// one minute reaches this. Default: 1000.
	P99LatencyMillis int `json:"p99LatencyMillis,omitempty" yaml:"p99LatencyMillis,omitempty"`
	// Custom alarms added to the deployment group beside the defaults.
	Custom []CustomAlarm `json:"custom,omitempty" yaml:"custom,omitempty"`
}

// CustomAlarm is one more alarm guarding the deployment.
type CustomAlarm struct {
	// Name: letters, digits and hyphens, unique within the environment. Required.
	Name string `json:"name" yaml:"name"`
	// Namespace of the metric. Default for a Lambda service: "AWS/Lambda", measured on the live
	// alias (the FunctionName and Resource dimensions are set for you). Required for a
	// container service.
	Namespace string `json:"namespace,omitempty" yaml:"namespace,omitempty"`
	// MetricName, e.g. "ConcurrentExecutions" or a metric the service publishes. Required.
	MetricName string `json:"metricName" yaml:"metricName"`
	// Dimensions of the metric (only for namespaces other than AWS/Lambda). Default: none.
	Dimensions map[string]string `json:"dimensions,omitempty" yaml:"dimensions,omitempty"`
	// Statistic: Sum, Average, Minimum, Maximum, SampleCount or a percentile like p99.
	// Default: Sum.
	Statistic string `json:"statistic,omitempty" yaml:"statistic,omitempty"`
	// Threshold the statistic is compared with. Required.
	Threshold *float64 `json:"threshold" yaml:"threshold"`
	// Comparison: ">=", ">", "<=", "<". Default: ">=".
	Comparison string `json:"comparison,omitempty" yaml:"comparison,omitempty"`
	// PeriodSeconds of the statistic: 60 or a multiple of 60. Default: 60.
	PeriodSeconds int `json:"periodSeconds,omitempty" yaml:"periodSeconds,omitempty"`
	// EvaluationPeriods that must breach before the alarm fires: 1 to 10. Default: 1.
	EvaluationPeriods int `json:"evaluationPeriods,omitempty" yaml:"evaluationPeriods,omitempty"`
}

// Hooks are CodeDeploy lifecycle hooks.
//
// A Lambda service names handlers inside its own release package (PreTraffic, PostTraffic).
// Each hook runs as a function of its own (<name>-<environment>-<hook>) from the same build as
// the function it checks, may invoke the function, and must report its result with
// codedeploy:PutLifecycleEventHookExecutionStatus (the permission is granted).
//
// A container service names existing Lambda functions for the ECS lifecycle events; CodeDeploy's
// role for ECS may invoke only functions whose names start with CodeDeployHook_. The hooks are
// written into the appspec.
type Hooks struct {
	// PreTraffic handler (Lambda), run before any traffic reaches the new version.
	PreTraffic string `json:"preTraffic,omitempty" yaml:"preTraffic,omitempty"`
	// PostTraffic handler (Lambda), run after all traffic reached the new version.
	PostTraffic string `json:"postTraffic,omitempty" yaml:"postTraffic,omitempty"`
	// BeforeInstall function (containers), before the replacement task set is created.
	BeforeInstall string `json:"beforeInstall,omitempty" yaml:"beforeInstall,omitempty"`
	// AfterInstall function (containers), after the replacement task set is created.
	AfterInstall string `json:"afterInstall,omitempty" yaml:"afterInstall,omitempty"`
	// AfterAllowTestTraffic function (containers), after the test listener serves the
	// replacement task set: the place to test the new tasks before any user reaches them.
	AfterAllowTestTraffic string `json:"afterAllowTestTraffic,omitempty" yaml:"afterAllowTestTraffic,omitempty"`
	// BeforeAllowTraffic function (containers), before production traffic shifts.
	BeforeAllowTraffic string `json:"beforeAllowTraffic,omitempty" yaml:"beforeAllowTraffic,omitempty"`
	// AfterAllowTraffic function (containers), after all production traffic shifted.
	AfterAllowTraffic string `json:"afterAllowTraffic,omitempty" yaml:"afterAllowTraffic,omitempty"`
}

// IsContainer reports whether the service runs on ECS rather than Lambda.
func (s *Service) IsContainer() bool { return s.Container != nil }
