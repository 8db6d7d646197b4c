// Package lambdaservice is the deployment target of a Lambda service in one environment: the
// function, its live alias, the CodeDeploy deployment group that shifts traffic to every new
// version, the alarms that stop and roll back a bad one, and the optional traffic hooks.
//
// The code the function runs is never named in the template. It comes from the release
// parameter (an SSM parameter the pipeline writes), read through a CloudFormation parameter of
// type AWS::SSM::Parameter::Value<String>, which CloudFormation resolves again on every stack
// update. So a `cdk deploy` of the stack, whatever it changes, keeps the build the pipeline
// released last: it cannot put an older build back.
package lambdaservice

import (
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/guard"
	"github.com/golden-pipelines/microservice-pipelines/constructs/internal/cdkutil"
	"github.com/golden-pipelines/microservice-pipelines/constructs/policy"
	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// ReleaseParameterID is the logical ID of the CloudFormation parameter holding the release.
const ReleaseParameterID = "Release"

// ReleasedConditionID is the logical ID of the condition "a build has been released".
const ReleasedConditionID = "Released"

// Props of a LambdaService.
type Props struct {
	// Service is the definition (a Lambda service); the constructor applies its defaults and
	// validates it. Required.
	Service spec.Service
	// Stage is the name of the stage (of the service's stages) the target belongs to.
	// Required.
	Stage string
	// PackageBucket holds the release packages the pipeline builds (in the target's account
	// and region). Required.
	PackageBucket awss3.IBucket
	// Topic receives the alarms' notifications. Default: the service's notification topic
	// (<service>-notifications in the pipeline stack), by name.
	Topic awssns.ITopic
	// PipelineAccount is the pipeline's account when it is not the stack's: the stage's
	// integration tests (if it has any) run there, and that account may invoke the live alias.
	// Default: "" (the same account).
	PipelineAccount string
}

// LambdaService is a Lambda function deployed through CodeDeploy.
type LambdaService struct {
	constructs.Construct
	// Function is the function; its name is <service>-<environment>.
	Function awslambda.Function
	// Version is the version published for the current release and configuration.
	Version awslambda.Version
	// Alias is the "live" alias that CodeDeploy moves and callers invoke.
	Alias awslambda.Alias
	// DeploymentGroup shifts traffic to each new version.
	DeploymentGroup awscodedeploy.LambdaDeploymentGroup
	// Alarms guard every deployment: the defaults (errors, throttles, p99 duration) first, then
	// the service's own, in definition order.
	Alarms []awscloudwatch.Alarm
	// Guard holds the alarms and how CodeDeploy rolls back.
	Guard *guard.Guard
	// PreTrafficHook and PostTrafficHook are the hook functions, or nil.
	PreTrafficHook, PostTrafficHook awslambda.Function
	// Release is the CloudFormation parameter that resolves the release parameter.
	Release awscdk.CfnParameter
}

var runtimes = map[string]func() awslambda.Runtime{
	"nodejs22.x": awslambda.Runtime_NODEJS_22_X,
	"python3.12": awslambda.Runtime_PYTHON_3_12,
	"python3.13": awslambda.Runtime_PYTHON_3_13,
}

// NewLambdaService creates the function, alias, deployment group, alarms and hooks of one
// target. It applies the service's defaults and validates it: a bad definition, a stage it
// does not have or a missing package bucket fails the synthesis with every problem on this
// construct's path (and nothing is built).
func NewLambdaService(scope constructs.Construct, id string, props *Props) *LambdaService {
	s := &LambdaService{Construct: constructs.NewConstruct(scope, jsii.String(id))}
	if props == nil {
		cdkutil.Invalid(s.Construct, "props: missing; fix: pass &lambdaservice.Props{Service, Stage, PackageBucket}")
		return s
	}
	svc, st, ok := cdkutil.ServiceFor(s.Construct, props.Service, cdkutil.LambdaService, props.Stage)
	ok = cdkutil.Required(s.Construct, svc, props.PackageBucket != nil, "Props.PackageBucket",
		"pass the bucket the pipeline's packages are in (pipeline.MicroservicePipeline.PackageBucket at home)") && ok
	if !ok {
		return s
	}
	code := s.releasedCode(&svc, st.Name, props.PackageBucket)
	s.functionAndAlias(code)
	s.Guard = s.guard(&svc, st, cdkutil.NotificationTopic(s.Construct, &svc, props.Topic))
	s.Alarms = s.Guard.Alarms
	s.deploymentGroup(code, st)
	if props.PipelineAccount != "" && len(st.IntegrationTest.Commands) > 0 {
		// The stage's integration tests run in the pipeline's account and invoke the live
		// alias (their role may invoke only this alias's ARN).
		s.Alias.AddPermission(jsii.String("PipelineAccountInvokes"), &awslambda.Permission{
			Principal: awsiam.NewAccountPrincipal(jsii.String(props.PipelineAccount)),
			Action:    jsii.String("lambda:InvokeFunction"),
		})
	}
	return s
}

// releasedCode creates the release parameter and the condition "a build has been released".
func (s *LambdaService) releasedCode(svc *spec.Service, stage string, bucket awss3.IBucket) *releasedCode {
	stack := awscdk.Stack_Of(s.Construct)
	s.Release = awscdk.NewCfnParameter(stack, jsii.String(ReleaseParameterID), &awscdk.CfnParameterProps{
		Type:    jsii.String("AWS::SSM::Parameter::Value<String>"),
		Default: jsii.String(svc.ReleaseParameterName(stage)),
		Description: jsii.String("SSM parameter holding the build this environment runs. The pipeline writes it; " +
			"CloudFormation resolves it on every update, so any deploy keeps the released build. Do not override."),
	})
	released := awscdk.NewCfnCondition(stack, jsii.String(ReleasedConditionID), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionNot(awscdk.Fn_ConditionEquals(s.Release.ValueAsString(), jsii.String(spec.BootstrapRelease))),
	})
	return &releasedCode{
		bucket:   bucket,
		key:      awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String(svc.Name + "/"), s.Release.ValueAsString(), jsii.String(".zip")}),
		released: released,
		svc:      svc,
		env:      stage,
	}
}

// functionAndAlias creates the function, its current version and the live alias.
func (s *LambdaService) functionAndAlias(code *releasedCode) {
	svc, env := code.svc, code.env
	description := awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("release "), s.Release.ValueAsString()})
	s.Function = code.function(s.Construct, "Function", svc.FunctionName(env), svc.Lambda.Handler, svc.Lambda.Environment, svc.Lambda.Secrets, false,
		&awslambda.VersionOptions{
			// A new release changes the description, which makes CloudFormation publish a new
			// version (Description is replace-only); a new configuration changes the version's
			// logical ID. Either way the live alias moves, and CodeDeploy shifts the traffic.
			Description: description,
			// Replaced versions are deleted once the update has finished, as SAM does: the
			// rollback target lives until then, and old versions do not pile up code storage.
			RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
		})
	s.Version = s.Function.CurrentVersion()
	s.Alias = awslambda.NewAlias(s.Construct, jsii.String("Live"), &awslambda.AliasProps{
		AliasName:   jsii.String(spec.LiveAlias),
		Version:     s.Version,
		Description: description,
	})
}

// deploymentGroup creates the stage's hooks and the deployment group that shifts traffic to
// each new version, guarded by the alarms.
func (s *LambdaService) deploymentGroup(code *releasedCode, st *spec.Stage) {
	svc, env := code.svc, code.env
	hookEnv := map[string]string{"FUNCTION_NAME": svc.FunctionName(env), "FUNCTION_ALIAS": spec.LiveAlias}
	if h := st.Hooks.PreTraffic; h != "" {
		s.PreTrafficHook = code.function(s.Construct, "PreTrafficHook", svc.HookFunctionName(env, "pretraffic"), h, hookEnv, nil, true, nil)
	}
	if h := st.Hooks.PostTraffic; h != "" {
		s.PostTrafficHook = code.function(s.Construct, "PostTrafficHook", svc.HookFunctionName(env, "posttraffic"), h, hookEnv, nil, true, nil)
	}
	name := svc.DeploymentGroupName(env)
	dgProps := &awscodedeploy.LambdaDeploymentGroupProps{
		Application: awscodedeploy.NewLambdaApplication(s.Construct, jsii.String("Application"), &awscodedeploy.LambdaApplicationProps{
			ApplicationName: jsii.String(name),
		}),
		DeploymentGroupName: jsii.String(name),
		Alias:               s.Alias,
		DeploymentConfig:    guard.LambdaConfig(s.Construct, st.Deployment),
		Alarms:              s.Guard.AlarmRefs(),
		AutoRollback:        guard.AutoRollback(),
	}
	for _, hook := range []awslambda.Function{s.PreTrafficHook, s.PostTrafficHook} {
		if hook == nil {
			continue
		}
		// A hook checks the new version: it may invoke the function, and it is updated before
		// the alias so that a release's hooks come from the same build as the release.
		s.Function.GrantInvoke(hook)
		s.Alias.Node().AddDependency(hook)
	}
	if s.PreTrafficHook != nil {
		dgProps.PreHook = s.PreTrafficHook
	}
	if s.PostTrafficHook != nil {
		dgProps.PostHook = s.PostTrafficHook
	}
	s.DeploymentGroup = awscodedeploy.NewLambdaDeploymentGroup(s.Construct, jsii.String("DeploymentGroup"), dgProps)
	policy.Suppress(s.DeploymentGroup.Role(), "AwsSolutions-IAM4",
		"AWSCodeDeployRoleForLambdaLimited is CodeDeploy's documented service-role policy for Lambda (the limited variant: it may invoke only CodeDeployHook_* functions and move aliases); AWS keeps it in step with CodeDeploy",
		"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited")
}

// releasedCode makes functions whose code is the released package, or a placeholder before the
// first release.
type releasedCode struct {
	bucket   awss3.IBucket
	key      *string
	released awscdk.CfnCondition
	svc      *spec.Service
	env      string
}

// function creates a function running the release. A hook (hook true) gets a placeholder that
// reports success; the service function gets version options and publishes versions.
func (c *releasedCode) function(scope constructs.Construct, id, name, handler string, env map[string]string, secrets map[string]spec.Secret,
	hook bool, version *awslambda.VersionOptions) awslambda.Function {
	l := c.svc.Lambda
	logs := cdkutil.LogGroup(scope, id+"Logs", jsii.String("/aws/lambda/"+name), c.svc.LogRetentionDays)
	// The function's own role may write to its own log group, and nothing else by default
	// (instead of AWSLambdaBasicExecutionRole, which may create and write any log group).
	role := awsiam.NewRole(scope, jsii.String(id+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Runs " + name + ": writes its own log group"),
	})
	logs.GrantWrite(role)
	vars := map[string]*string{}
	for _, k := range slices.Sorted(maps.Keys(env)) {
		vars[k] = jsii.String(env[k])
	}
	// Secrets stay in Secrets Manager or SSM: the function gets where they are and may read
	// exactly those.
	for _, k := range slices.Sorted(maps.Keys(secrets)) {
		if secretName := secrets[k].SecretsManager; secretName != "" {
			secret := awssecretsmanager.Secret_FromSecretNameV2(scope, jsii.String(id+"Secret"+k), jsii.String(secretName))
			secret.GrantRead(role, nil)
			vars[k+"_SECRET_ARN"] = secret.SecretArn()
		} else {
			param := awsssm.StringParameter_FromSecureStringParameterAttributes(scope, jsii.String(id+"Parameter"+k),
				&awsssm.SecureStringParameterAttributes{ParameterName: jsii.String(secrets[k].Parameter)})
			param.GrantRead(role)
			vars[k+"_PARAMETER_NAME"] = jsii.String(secrets[k].Parameter)
		}
	}
	fn := awslambda.NewFunction(scope, jsii.String(id), &awslambda.FunctionProps{
		FunctionName:          jsii.String(name),
		Runtime:               runtimes[l.Runtime](),
		Handler:               jsii.String(placeholderHandler),
		Code:                  awslambda.Code_FromInline(jsii.String(placeholder(c.svc, c.env, hook))),
		MemorySize:            jsii.Number(float64(l.MemoryMiB)),
		Timeout:               awscdk.Duration_Seconds(jsii.Number(float64(l.TimeoutSeconds))),
		Environment:           &vars,
		LogGroup:              logs,
		Role:                  role,
		Tracing:               awslambda.Tracing_ACTIVE,
		CurrentVersionOptions: version,
		Description:           jsii.String(fmt.Sprintf("%s %s (%s)", c.svc.Name, c.env, name)),
	})
	// Before the first release the function runs the inline placeholder; afterwards the package
	// the release parameter names. The read permission for CloudFormation's role comes from the
	// bootstrap execution role, which reads any object in the account.
	policy.Suppress(fn, "AwsSolutions-L1", "the runtime is the service's choice among the supported, non-deprecated runtimes (spec.SupportedRuntimes); it must match what its build stage builds with")
	cfn := fn.Node().DefaultChild().(awslambda.CfnFunction)
	cfn.AddPropertyOverride(jsii.String("Code"), awscdk.Fn_ConditionIf(c.released.LogicalId(),
		map[string]interface{}{"S3Bucket": c.bucket.BucketName(), "S3Key": c.key},
		map[string]interface{}{"ZipFile": placeholder(c.svc, c.env, hook)}))
	cfn.AddPropertyOverride(jsii.String("Handler"), awscdk.Fn_ConditionIf(c.released.LogicalId(), handler, placeholderHandler))
	return fn
}

const placeholderHandler = "index.handler"

// placeholder is the inline code a function runs before the pipeline released a build. A hook
// placeholder reports success to CodeDeploy, so that a deployment before the first release (a
// configuration change through cdk deploy) does not wait out the hook timeout and fail.
func placeholder(svc *spec.Service, env string, hook bool) string {
	msg := fmt.Sprintf("%s has no release in %s yet: push to %s of %s and let the pipeline release it", svc.Name, env, svc.Branch, svc.Repository)
	python := spec.SupportedRuntimes[svc.Lambda.Runtime].Language == "python"
	switch {
	case hook && python:
		return fmt.Sprintf(`# %s
import boto3


def handler(event, context):
    boto3.client("codedeploy").put_lifecycle_event_hook_execution_status(
        deploymentId=event["DeploymentId"],
        lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
        status="Succeeded",
    )
`, msg)
	case hook:
		return fmt.Sprintf(`// %s
const { CodeDeployClient, PutLifecycleEventHookExecutionStatusCommand } = require("@aws-sdk/client-codedeploy");
const client = new CodeDeployClient({});
exports.handler = async (event) => {
  await client.send(new PutLifecycleEventHookExecutionStatusCommand({
    deploymentId: event.DeploymentId,
    lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId,
    status: "Succeeded",
  }));
};
`, msg)
	case python:
		return fmt.Sprintf("def handler(event, context):\n    return {\"statusCode\": 503, \"body\": %q}\n", msg)
	}
	return fmt.Sprintf("exports.handler = async () => ({ statusCode: 503, body: %q });\n", msg)
}

// guard creates the alarms of the environment: errors, throttles and p99 duration on the live
// alias, then the definition's own (an AWS/Lambda one on the live alias too), then the stage's
// minimum-invocations alarm (if any), and the health alarm over them.
func (s *LambdaService) guard(svc *spec.Service, st *spec.Stage, notify awssns.ITopic) *guard.Guard {
	env, a := st.Name, st.Alarms
	minute := awscdk.Duration_Minutes(jsii.Number(1))
	opts := func(statistic string) *awscloudwatch.MetricOptions {
		return &awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String(statistic)}
	}
	return guard.New(s.Construct, &guard.Props{
		Defaults: []guard.Alarm{
			{ID: "ErrorsAlarm", Name: svc.AlarmName(env, "errors"), What: "errors on the live alias",
				Metric: s.Alias.MetricErrors(opts("Sum")), Threshold: float64(a.ErrorsThreshold), Comparison: ">=", EvaluationPeriods: 1},
			{ID: "ThrottlesAlarm", Name: svc.AlarmName(env, "throttles"), What: "throttles on the live alias",
				Metric: s.Alias.MetricThrottles(opts("Sum")), Threshold: float64(a.ThrottlesThreshold), Comparison: ">=", EvaluationPeriods: 1},
			{ID: "P99DurationAlarm", Name: svc.AlarmName(env, "p99-duration"), What: "p99 duration (ms) on the live alias",
				Metric: s.Alias.MetricDuration(opts("p99")), Threshold: float64(a.P99DurationMillis), Comparison: ">=", EvaluationPeriods: 1},
		},
		Custom: a.Custom,
		Metric: func(c spec.CustomAlarm, o *awscloudwatch.MetricOptions) awscloudwatch.IMetric {
			if c.Namespace == "AWS/Lambda" {
				return s.Alias.Metric(jsii.String(c.MetricName), o)
			}
			return nil
		},
		Extra:           s.invocationsAlarm(svc, st, opts("Sum")),
		AlarmName:       func(name string) string { return svc.AlarmName(env, name) },
		HealthAlarmName: svc.HealthAlarmName(env),
		Topic:           notify,
	})
}

// invocationsAlarm is the stage's minimum-invocations alarm: a shift that nobody calls proves
// nothing, so the alarm counts a minute with fewer invocations of the live alias than the
// minimum, or none at all (missing data is breaching), and CodeDeploy fails and rolls back a
// deployment it sees in ALARM. It notifies the team when the traffic falls below the minimum
// (a release now would fail), and stays out of the health alarm: a quiet hour must not close
// the gate or roll back a bake.
func (s *LambdaService) invocationsAlarm(svc *spec.Service, st *spec.Stage, opts *awscloudwatch.MetricOptions) []guard.Alarm {
	min := st.Safety.Canary.MinimumInvocations
	if min == 0 {
		return nil
	}
	return []guard.Alarm{{ID: "InvocationsAlarm", Name: svc.AlarmName(st.Name, spec.InvocationsAlarm), What: "invocations a minute of the live alias",
		Metric: s.Alias.MetricInvocations(opts), Threshold: float64(min), Comparison: "<", EvaluationPeriods: 1,
		MissingData: awscloudwatch.TreatMissingData_BREACHING, DeploymentOnly: true}}
}
