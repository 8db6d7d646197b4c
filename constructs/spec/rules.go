package spec

import (
	"regexp"
	"strings"
)

// TextRule is what one text field of the definition may hold beyond the text policy every
// text field obeys: its length, its characters, its form; and for a list or map field, how many
// items it may have. Every field's rule is in TextRules, next to the AWS limit it enforces.
type TextRule struct {
	// Max length, in UTF-16 code units (as the AWS APIs and the CDK count characters), or in
	// bytes with Bytes. By names who sets the limit, for the message.
	Max   int
	Bytes bool
	By    string
	// Min length (a shorter non-empty value does not have the form Is names).
	Min int
	// ASCII: printable ASCII only (space to tilde).
	ASCII bool
	// Pattern and Valid (when set) are the form a value must have: Is names it for the message
	// (`"x" is not <Is>`), Fix says what to write. A rule without a form may have a Fix for a
	// value that is too long.
	Pattern *regexp.Regexp
	Valid   func(string) bool
	Is, Fix string
	// Lines: the text may hold line breaks and tabs (shell commands).
	Lines bool
	// PipelineVariables: the text may hold #{, because it goes where CodePipeline never
	// evaluates variables (a build spec).
	PipelineVariables bool
	// SameAs is a field this one defaults to (repository: name): when it holds that field's
	// value and that field has a problem, the problem is reported once, on that field.
	SameAs string
	// MaxItems of a list or map field, Items what they are, ItemsWhy the limit's reason.
	MaxItems int
	Items    string
	ItemsWhy string
}

// Command limits. CodeBuild takes an inline build spec of at most 25,600 characters ("Max
// buildspec length is 25600": aws-cdk#30326, aws-cdk#14974); the commands of one project
// share it with the steps the pipeline generates, which keep the rest.
const (
	// MaxCommandBytes is the longest single command.
	MaxCommandBytes = 4096
	// MaxCommands is the longest list of commands.
	MaxCommands = 50
	// MaxProjectCommandBytes is what the commands of one CodeBuild project (build: install,
	// test, package; integration test: install, commands) may take together.
	MaxProjectCommandBytes = 16384
	// MaxBuildSpecChars is CodeBuild's limit for an inline build spec, checked on the
	// synthesized templates too.
	MaxBuildSpecChars = 25600
)

var (
	// lambdaVariableRE: Lambda's rule for variable names (API Environment.Variables key
	// pattern [a-zA-Z]([a-zA-Z0-9_])+, https://docs.aws.amazon.com/lambda/latest/api/API_Environment.html).
	lambdaVariableRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]+$`)
	// secretVariableRE: a Lambda secret's name, to which _SECRET_ARN or _PARAMETER_NAME is added.
	secretVariableRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]*$`)
	// handlerRE: Lambda's Handler pattern [^\s]+ (https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html).
	handlerRE = regexp.MustCompile(`^[^\s]+$`)
	// namespaceRE: CloudWatch namespaces hold letters, digits and . - _ / # : and spaces, and do
	// not start with a colon (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_Metric.html,
	// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Namespace).
	namespaceRE = regexp.MustCompile(`^[A-Za-z0-9._/# -][A-Za-z0-9._/#: -]*$`)
)

func notBlank(s string) bool { return strings.TrimSpace(s) != "" }

// enumRule is the rule of a field whose values validation lists (a runtime, a config name).
var enumRule = TextRule{Max: 64, By: "this field's values"}

// commandRule is the rule of every command: several lines, #{ allowed (bash's ${#x} and
// Ruby's "#{x}" are common, and CodeBuild does not evaluate pipeline variables in a build spec).
var commandRule = TextRule{Max: MaxCommandBytes, Bytes: true, By: "a command", Fix: "run longer steps from a script in the repository",
	Lines: true, PipelineVariables: true, MaxItems: MaxCommands, Items: "commands",
	ItemsWhy: "the commands of a project share CodeBuild's 25,600-character build spec; run a script from the repository instead"}

// pathRule is a path inside the source; validation checks its form (relative, no '..', no
// leading '-').
var pathRule = TextRule{Max: 255, By: "a path of the build (Linux file names)"}

// TextRules are the rules of every text field, by "<Go type>.<YAML key>" (values and list
// items) and "<Go type>.<YAML key>:key" (the names of a map). A test fails when a text field of
// the spec types has no rule, and the docs' table of limits is generated from this one.
var TextRules = map[string]TextRule{
	// A service's name prefixes its stacks, functions (<name>-<environment>-<hook>, at most 64
	// characters: https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html), roles,
	// alarms and parameters.
	"Service.name": {Max: 28, Min: 2, By: "a service name",
		Pattern: regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`), Is: "a valid service name",
		Fix: "use 2-28 lowercase letters, digits and single hyphens, starting with a letter (it prefixes stack, function and parameter names)"},
	// https://docs.aws.amazon.com/codecommit/latest/userguide/limits.html: repository names.
	// With a connection (source.connection) the repository is owner/name, GitLab's
	// group/subgroup/name: the same characters between single '/' (validation checks which form
	// the source takes).
	"Service.repository": {Max: 100, By: "CodeCommit (and this project, for owner/name)", Pattern: regexp.MustCompile(`^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$`),
		Valid: func(s string) bool { return !strings.HasSuffix(s, ".git") }, Is: "a valid repository name",
		Fix: "use 1-100 letters, digits, '.', '_' or '-' (owner/name with a connection), not ending in .git", SameAs: "name"},
	// CodeCommit branch names: 1-256 characters (same page); git check-ref-format --branch.
	"Service.branch": {Max: 256, By: "CodeCommit", Valid: validBranch, Is: "a valid git branch name",
		Fix: "use a branch name such as main or release/1.x: no spaces, '..', '~^:?*[\\' or leading '-'"},

	// A stage's name goes into stack names (<service>-<stage>), function names
	// (<service>-<stage>-posttraffic: 28 + 1 + 16 + 12 characters, within Lambda's 64) and
	// CodePipeline stage names; a wave's into CodePipeline stage names (<Stage>-<wave>, at most
	// 100 characters: https://docs.aws.amazon.com/codepipeline/latest/userguide/limits.html).
	"Stage.name": {Max: 16, By: "this field (it goes into function names, at most 64 characters)", Pattern: stageNameRE, Is: "a stage name",
		Fix: "use 1-16 lowercase letters, digits and single hyphens, starting with a letter, e.g. staging"},
	"Stage.role": enumRule,
	"Wave.name": {Max: 16, By: "this field", Pattern: stageNameRE, Is: "a wave name",
		Fix: "use 1-16 lowercase letters, digits and single hyphens, starting with a letter, e.g. eu"},
	// Account IDs are 12 digits; region codes like eu-west-1 (https://docs.aws.amazon.com/general/latest/gr/rande.html).
	"Target.account": {Max: 12, By: "an AWS account ID", Pattern: accountRE, Is: "an AWS account ID", Fix: `write the 12 digits, quoted, e.g. "123456789012"`},
	"Target.region":  {Max: 32, By: "an AWS region code", Pattern: regionRE, Is: "an AWS region code", Fix: `write a region code, e.g. "eu-west-1"`},
	// The pipeline holds at most 50 stages (validation counts them exactly), a stage 50 actions.
	"Service.stages": {MaxItems: MaxPipelineStages, Items: "stages", ItemsWhy: "CodePipeline allows at most 50 stages a pipeline"},
	"Stage.waves":    {MaxItems: MaxPipelineStages, Items: "waves", ItemsWhy: "each wave is a stage of the pipeline, which CodePipeline limits to 50"},
	"Stage.targets":  {MaxItems: MaxStageActions, Items: "targets", ItemsWhy: "a wave's targets are the actions of one pipeline stage, which CodePipeline limits to 50"},
	"Wave.targets":   {MaxItems: MaxStageActions, Items: "targets", ItemsWhy: "a wave's targets are the actions of one pipeline stage, which CodePipeline limits to 50"},

	"Lambda.runtime": enumRule,
	// Lambda Handler: at most 128 characters, no whitespace (API_CreateFunction).
	"Lambda.handler": {Max: 128, By: "Lambda", Pattern: handlerRE, Is: "a handler", Fix: `name the handler inside the package, e.g. "index.handler"`},
	// Lambda: all variables together at most 4 KB (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html),
	// checked as a whole by validation; a single value cannot be longer.
	"Lambda.environment": {Max: MaxLambdaEnvironmentBytes, Bytes: true, By: "Lambda (4 KB for all variables)",
		MaxItems: 200, Items: "variables", ItemsWhy: "Lambda holds at most 4 KB of variables"},
	"Lambda.environment:key": {Max: 128, By: "this field", Pattern: lambdaVariableRE, Is: "a usable environment variable name",
		Fix: "use letters, digits and '_', starting with a letter, at least two characters (Lambda's rule for variable names)"},
	"Lambda.secrets:key": {Max: 100, By: "this field", Pattern: secretVariableRE, Is: "a usable environment variable name",
		Fix:      "use letters, digits and '_', starting with a letter (Lambda's rule for variable names)",
		MaxItems: 50, Items: "secrets", ItemsWhy: "each one adds a statement to the function role's policy, which IAM limits to 10,240 characters"},
	// Secrets Manager names: 1-512 of letters, digits and /_+=.@- (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html).
	"Secret.secretsManager": {Max: 512, By: "Secrets Manager", Pattern: regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]+$`), Is: "a secret name",
		Fix: "give the secret's name (letters, digits and /_+=.@-), not its ARN or value"},
	// SSM parameter names: at most 1011 characters of a-zA-Z0-9_.-/ (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html).
	"Secret.parameter": {Max: 1011, By: "Systems Manager", Pattern: regexp.MustCompile(`^/[A-Za-z0-9/_.-]+$`), Is: "an SSM parameter name",
		Fix: `give the full name of a SecureString parameter, starting with '/', e.g. "/orders/api-key"`},

	"Build.install":            commandRule,
	"Build.test":               commandRule,
	"Build.package":            commandRule,
	"Build.reportDir":          pathRule,
	"Build.packageDir":         pathRule,
	"Build.computeType":        enumRule,
	"IntegrationTest.install":  commandRule,
	"IntegrationTest.commands": commandRule,

	"Deployment.config":     enumRule,
	"CustomDeployment.type": enumRule,

	// CloudWatch PutMetricAlarm (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html):
	// AlarmName 1-255 (<service>-<environment>-<name>, checked whole by validation), MetricName
	// 1-255, Namespace 1-255, at most 30 dimensions, each name 1-255 and value 1-255 (the CDK
	// refuses longer values: aws-cloudwatch Metric.validateDimensions), ASCII without controls.
	"CustomAlarm.name": {Max: 64, By: "this field (the alarm is named <service>-<environment>-<name>, at most 255 characters)",
		Pattern: regexp.MustCompile(`^[A-Za-z0-9-]+$`), Is: "an alarm name", Fix: "use 1-64 letters, digits and hyphens"},
	"CustomAlarm.namespace": {Max: 255, By: "CloudWatch", ASCII: true, Pattern: namespaceRE, Valid: notBlank, Is: "a CloudWatch namespace",
		Fix: "use letters, digits, spaces and . - _ / # :, not starting with ':', e.g. \"Orders\" or \"AWS/SQS\""},
	"CustomAlarm.metricName": {Max: 255, By: "CloudWatch"},
	"CustomAlarm.dimensions": {Max: 255, By: "CloudWatch (and the CDK)", ASCII: true, Valid: notBlank, Is: "a dimension value",
		Fix: "give a value with a visible character", MaxItems: 30, Items: "dimensions", ItemsWhy: "CloudWatch allows at most 30 dimensions a metric"},
	"CustomAlarm.dimensions:key": {Max: 255, By: "CloudWatch", ASCII: true,
		Valid: func(s string) bool { return notBlank(s) && !strings.HasPrefix(s, ":") }, Is: "a dimension name",
		Fix: "give a name with a visible character, not starting with ':'"},
	"CustomAlarm.statistic": enumRule,
	// Validation checks the precise number: the default alarms count too.
	"Alarms.custom": {MaxItems: MaxAlarmsPerDeploymentGroup, Items: "custom alarms",
		ItemsWhy: "CodeDeploy allows at most 10 alarms a deployment group, the default alarms included"},
	"CustomAlarm.comparison": enumRule,

	"Hooks.preTraffic":  {Max: 128, By: "Lambda", Pattern: handlerRE, Is: "a handler", Fix: `name a handler in the package, e.g. "hooks.preTraffic"`},
	"Hooks.postTraffic": {Max: 128, By: "Lambda", Pattern: handlerRE, Is: "a handler", Fix: `name a handler in the package, e.g. "hooks.postTraffic"`},
	// ECS hooks: existing functions CodeDeploy's role for ECS may invoke (CodeDeployHook_*,
	// AWSCodeDeployRoleForECSLimited); function names are at most 64 characters.
	"Hooks.beforeInstall":         ecsHookRule,
	"Hooks.afterInstall":          ecsHookRule,
	"Hooks.afterAllowTestTraffic": ecsHookRule,
	"Hooks.beforeAllowTraffic":    ecsHookRule,
	"Hooks.afterAllowTraffic":     ecsHookRule,

	// Email addresses: at most 254 characters (RFC 5321). Each subscriber is a resource of the
	// pipeline stack; MaxSubscriptions bounds emails and webhooks together.
	"Notifications.emails": {Max: 254, By: "an email address", Pattern: emailRE, Is: "an email address",
		Fix: "write one address, e.g. orders-team@example.com", MaxItems: MaxSubscriptions, Items: "addresses", ItemsWhy: subscriptionsWhy},
	"Notifications.webhooks": {Max: 2048, By: "this field (URLs longer than 2,048 characters are not portable)",
		MaxItems: MaxSubscriptions, Items: "webhooks", ItemsWhy: subscriptionsWhy},
	// A CodeStar notification rule has at most 10 targets
	// (https://docs.aws.amazon.com/dtconsole/latest/userguide/limits.html); one is the topic.
	"Notifications.slackChannels": {Max: 1011, By: "an ARN", Pattern: slackChannelRE,
		Is:       "the ARN of an AWS Chatbot Slack channel configuration",
		Fix:      "copy the channel configuration's ARN from AWS Chatbot, e.g. arn:aws:chatbot::123456789012:chat-configuration/slack-channel/orders-team",
		MaxItems: MaxSlackChannels, Items: "channels",
		ItemsWhy: "a notification rule has at most 10 targets and one is the service's topic; other channels can subscribe to the topic <service>-notifications in their AWS Chatbot configuration"},

	// Load balancer health check paths: 1-1024 characters (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html).
	"Container.healthCheckPath": {Max: 1024, By: "Elastic Load Balancing", Pattern: healthPathRE, Is: "a URL path",
		Fix: `use an absolute path without spaces or a query, e.g. "/health"`},
	"Container.dockerfile": pathRule,
	"Container.context":    pathRule,
	// A task definition is at most 64 KiB (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-quotas.html);
	// validation keeps the variables to half of it.
	"Container.environment": {Max: 4096, Bytes: true, By: "this field (a task definition holds at most 64 KiB)",
		MaxItems: 100, Items: "variables", ItemsWhy: "a task definition holds at most 64 KiB"},
	"Container.environment:key": {Max: 255, By: "this field", Pattern: envVarRE, Is: "a usable environment variable name",
		Fix: "use letters, digits and '_', starting with a letter or '_'"},
	"Container.secrets:key": {Max: 255, By: "this field", Pattern: envVarRE, Is: "a usable environment variable name",
		Fix:      "use letters, digits and '_', starting with a letter or '_'",
		MaxItems: 50, Items: "secrets", ItemsWhy: "each one adds a statement to the task execution role's policy, which IAM limits to 10,240 characters"},
	"Container.scanThreshold": enumRule,
	// ECR repository names: 2-256 characters; tags: up to 128
	// (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html, API_PutImage.html).
	"BaseImage.repository": {Max: 256, Min: 2, By: "ECR", Pattern: ecrRepositoryRE, Is: "an ECR repository name",
		Fix: "use 2-256 lowercase letters, digits and . _ - / separators, e.g. base-images/node"},
	"BaseImage.tag": {Max: 128, By: "ECR", Pattern: ecrTagRE, Is: "an image tag", Fix: `use letters, digits, '.', '_' and '-', e.g. "release"`},
}

var ecsHookRule = TextRule{Max: 64, By: "Lambda (function names)", Pattern: ecsHookRE, Is: "a function CodeDeploy may invoke",
	Fix: "name an existing Lambda function whose name starts with CodeDeployHook_ (the only ones CodeDeploy's role for ECS may invoke)"}

// Rule returns the rule of a field by its key in TextRules, and whether there is one.
func Rule(key string) (TextRule, bool) {
	r, ok := TextRules[key]
	return r, ok
}

// matches reports whether a value has the form the rule names (length bounds aside).
func (r TextRule) matches(s string) bool {
	return (r.Pattern == nil || r.Pattern.MatchString(s)) && (r.Valid == nil || r.Valid(s)) && Length(s) >= r.Min
}
