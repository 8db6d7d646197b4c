package main

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"

	"github.com/golden-pipelines/microservice-pipelines/cmd/bench/baseline"
	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// generated is one benchmark service in both forms: the definition the project takes, and the
// same service spelled out for the raw-L2 baseline.
type generated struct {
	spec     spec.Service
	baseline baseline.Service
}

// generate returns n services: even indexes are Lambda services, odd ones container services.
// Within each kind, every other service is "rich" (integration tests, approval, hooks, a custom
// shift in staging, custom alarms, secrets, notification subscribers of every kind, for
// containers an ECR base-image source) and the others "lean" (predefined shifts, no tests, no
// hooks, no approval, no secrets, a topic without subscribers); runtimes, sizes, thresholds,
// retention, scan thresholds and shift names vary with the index. Every field is set, so the project's defaults
// change nothing and both forms describe the same service. The first four services cover every
// feature (TestBaselineDeclaresTheSameResources synthesizes them).
func generate(n int) []generated {
	out := make([]generated, n)
	for i := range out {
		if i%2 == 0 {
			out[i] = lambdaService(i, i/2)
		} else {
			out[i] = containerService(i, i/2)
		}
	}
	return out
}

// predefined pairs a definition's config name with the CDK member and CodeDeploy's name.
type predefined struct{ spec, cdk, codeDeploy string }

var lambdaConfigs = []predefined{
	{"AllAtOnce", "ALL_AT_ONCE", ""},
	{"Canary10Percent5Minutes", "CANARY_10PERCENT_5MINUTES", ""},
	{"Canary10Percent10Minutes", "CANARY_10PERCENT_10MINUTES", ""},
	{"Linear10PercentEvery1Minute", "LINEAR_10PERCENT_EVERY_1MINUTE", ""},
	{"Linear10PercentEvery2Minutes", "LINEAR_10PERCENT_EVERY_2MINUTES", ""},
	{"Linear10PercentEvery3Minutes", "LINEAR_10PERCENT_EVERY_3MINUTES", ""},
}

var ecsConfigs = []predefined{
	{"ECSAllAtOnce", "ALL_AT_ONCE", "CodeDeployDefault.ECSAllAtOnce"},
	{"ECSCanary10Percent5Minutes", "CANARY_10PERCENT_5MINUTES", "CodeDeployDefault.ECSCanary10Percent5Minutes"},
	{"ECSCanary10Percent15Minutes", "CANARY_10PERCENT_15MINUTES", "CodeDeployDefault.ECSCanary10Percent15Minutes"},
	{"ECSLinear10PercentEvery1Minutes", "LINEAR_10PERCENT_EVERY_1MINUTES", "CodeDeployDefault.ECSLinear10PercentEvery1Minutes"},
	{"ECSLinear10PercentEvery3Minutes", "LINEAR_10PERCENT_EVERY_3MINUTES", "CodeDeployDefault.ECSLinear10PercentEvery3Minutes"},
}

var retentions = []struct {
	days int
	cdk  awslogs.RetentionDays
}{{30, awslogs.RetentionDays_ONE_MONTH}, {90, awslogs.RetentionDays_THREE_MONTHS}, {14, awslogs.RetentionDays_TWO_WEEKS}}

var computeTypes = []string{"SMALL", "MEDIUM"}

type lambdaRuntime struct {
	name, language, version, handler, packageDir string
	python                                       bool
	install, test, pkg                           []string
}

var runtimes = []lambdaRuntime{
	{"nodejs22.x", "nodejs", "22", "index.handler", "dist", false, []string{"npm ci"}, []string{"npm test"}, []string{"npm run build"}},
	{"python3.12", "python", "3.12", "app.handler", "package", true, []string{"pip install -r requirements.txt -t package"},
		[]string{`python -m pytest --junitxml="$REPORT_DIR/junit.xml"`}, []string{"cp -r src/. package/"}},
	{"python3.13", "python", "3.13", "app.handler", "package", true, []string{"pip install -r requirements.txt -t package"},
		[]string{`python -m pytest --junitxml="$REPORT_DIR/junit.xml"`}, []string{"cp -r src/. package/"}},
}

func threshold(v float64) *float64 { return &v }

// richNotifications subscribes an email address, a webhook and a Slack channel to a service's
// topic.
func richNotifications(name string) (spec.Notifications, baseline.Notifications) {
	emails := []string{name + "-team@example.com"}
	webhooks := []string{"https://events.example.com/integration/" + name + "/enqueue"}
	slack := []string{"arn:aws:chatbot::123456789012:chat-configuration/slack-channel/" + name}
	return spec.Notifications{Emails: emails, Webhooks: webhooks, SlackChannels: slack},
		baseline.Notifications{Emails: emails, Webhooks: webhooks, SlackChannels: slack}
}

// richSecrets are a Secrets Manager secret and an SSM SecureString parameter of a service.
func richSecrets(name string) (map[string]spec.Secret, map[string]baseline.Secret) {
	return map[string]spec.Secret{"DB_PASSWORD": {SecretsManager: name + "/db"}, "API_KEY": {Parameter: "/" + name + "/api-key"}},
		map[string]baseline.Secret{"DB_PASSWORD": {SecretsManager: name + "/db"}, "API_KEY": {Parameter: "/" + name + "/api-key"}}
}

func lambdaService(i, k int) generated {
	rich := k%2 == 0
	rt := runtimes[k%len(runtimes)]
	ret := retentions[k%len(retentions)]
	name := fmt.Sprintf("fn-%04d", i)
	timeout := 5 + k%10
	s := spec.Service{
		Name: name, Repository: name, Branch: "main",
		Lambda: spec.Lambda{
			Runtime: rt.name, Handler: rt.handler, MemoryMiB: 128 * (1 + k%4), TimeoutSeconds: timeout,
			Environment: map[string]string{"LOG_LEVEL": "info", "SERVICE_INDEX": fmt.Sprint(i)},
		},
		Build: spec.Build{
			Install: rt.install, Test: rt.test, Package: rt.pkg, ReportDir: "reports", PackageDir: rt.packageDir,
			ComputeType: computeTypes[k%len(computeTypes)], TimeoutMinutes: 30,
		},
		IntegrationTest:  spec.IntegrationTest{TimeoutMinutes: 20},
		ManualApproval:   new(rich),
		LogRetentionDays: ret.days,
	}
	alarms := func(errors int) spec.Alarms {
		return spec.Alarms{ErrorsThreshold: errors, ThrottlesThreshold: 1, P99DurationMillis: timeout * 800, Custom: []spec.CustomAlarm{}}
	}
	s.Staging = spec.Environment{Alarms: alarms(1)}
	s.Production = spec.Environment{Alarms: alarms(1 + k%3)}
	staging, production := lambdaConfigs[k%3], lambdaConfigs[1+k%5]
	if rich {
		s.Repository = name + "-service"
		s.IntegrationTest.Install = []string{"npm ci"}
		s.IntegrationTest.Commands = []string{"npm run test:integration"}
		s.Staging.Deployment.Custom = &spec.CustomDeployment{Type: "canary", Percentage: 50, IntervalMinutes: 2}
		s.Staging.Hooks.PreTraffic = "hooks.pre_traffic"
		s.Staging.Alarms.Custom = []spec.CustomAlarm{{Name: "concurrency", Namespace: "AWS/Lambda", MetricName: "ConcurrentExecutions",
			Statistic: "Maximum", Comparison: ">=", Threshold: threshold(100), PeriodSeconds: 60, EvaluationPeriods: 1}}
		s.Production.Hooks = spec.Hooks{PreTraffic: "hooks.pre_traffic", PostTraffic: "hooks.post_traffic"}
		s.Production.Alarms.Custom = []spec.CustomAlarm{{Name: "failed-orders", Namespace: "Shop", MetricName: "FailedOrders",
			Dimensions: map[string]string{"Service": name}, Statistic: "Sum", Comparison: ">=", Threshold: threshold(5),
			PeriodSeconds: 60, EvaluationPeriods: 2}}
	} else {
		s.Staging.Deployment.Config = staging.spec
	}
	s.Production.Deployment.Config = production.spec

	b := baseline.Service{
		Name: s.Name, Repository: s.Repository, Branch: s.Branch, LogRetention: ret.cdk, LogRetentionDays: ret.days, ManualApproval: rich,
		Build: baseline.Build{Install: rt.install, Test: rt.test, Package: rt.pkg, ReportDir: "reports", PackageDir: rt.packageDir,
			ComputeType: awscodebuild.ComputeType(s.Build.ComputeType), TimeoutMinutes: 30},
		Lambda: &baseline.Lambda{Runtime: rt.name, Language: rt.language, Version: rt.version, Python: rt.python, Handler: rt.handler,
			MemoryMiB: s.Lambda.MemoryMiB, TimeoutSeconds: timeout, Environment: s.Lambda.Environment},
	}
	if rich {
		b.IntegrationTest = &baseline.IntegrationTest{Install: s.IntegrationTest.Install, Commands: s.IntegrationTest.Commands, TimeoutMinutes: 20}
		s.Notifications, b.Notifications = richNotifications(name)
		s.Lambda.Secrets, b.Lambda.Secrets = richSecrets(name)
	}
	for _, env := range shorthand(&s) {
		e := baseline.Environment{
			Name: env.Name, DeployTimeoutMinutes: env.Deployment.DeployTimeoutMinutes(),
			PreTraffic: env.Hooks.PreTraffic, PostTraffic: env.Hooks.PostTraffic,
			Alarms: baseline.Alarms{Errors: float64(env.Alarms.ErrorsThreshold), Throttles: float64(env.Alarms.ThrottlesThreshold),
				P99DurationMillis: float64(env.Alarms.P99DurationMillis), Custom: customAlarms(env.Alarms.Custom)},
		}
		if c := env.Deployment.Custom; c != nil {
			e.Custom = &baseline.Shift{Linear: c.Type == "linear", Percentage: c.Percentage, IntervalMinutes: c.IntervalMinutes}
		} else {
			e.Config = cdkName(lambdaConfigs, env.Deployment.Config).cdk
		}
		b.Environments = append(b.Environments, e)
	}
	return generated{spec: explicitStages(s), baseline: b}
}

func containerService(i, k int) generated {
	rich := k%2 == 0
	ret := retentions[(k+1)%len(retentions)]
	name := fmt.Sprintf("svc-%04d", i)
	cpu := []int{256, 512, 1024}[k%3]
	c := &spec.Container{
		Port: 8080 + k%3, CPU: cpu, MemoryMiB: cpu * 2, DesiredCount: 2 + k%3, HealthCheckPath: "/health",
		ListenerPort: 80, TestListenerPort: 9000, Dockerfile: "Dockerfile", Context: ".",
		Environment: map[string]string{"LOG_LEVEL": "info"}, KeepImages: 30, TerminationWaitMinutes: 5 + k%10, ScanThreshold: []string{"HIGH", "CRITICAL"}[k%2],
	}
	s := spec.Service{
		Name: name, Repository: name, Branch: "main", Container: c,
		Build: spec.Build{
			Test:      []string{"./gradlew test", `cp build/test-results/test/*.xml "$REPORT_DIR/"`},
			ReportDir: "reports", ComputeType: computeTypes[k%len(computeTypes)], TimeoutMinutes: 30,
		},
		IntegrationTest:  spec.IntegrationTest{TimeoutMinutes: 20},
		ManualApproval:   new(rich),
		LogRetentionDays: ret.days,
	}
	alarms := func(target5xx int) spec.Alarms {
		return spec.Alarms{Target5xxThreshold: target5xx, LoadBalancer5xxThreshold: 5, UnhealthyHostsThreshold: 1,
			P99LatencyMillis: 500 + 100*(k%5), Custom: []spec.CustomAlarm{}}
	}
	s.Staging = spec.Environment{Alarms: alarms(5)}
	s.Production = spec.Environment{Alarms: alarms(5 + k%3)}
	staging, production := ecsConfigs[k%4], ecsConfigs[1+k%4]
	if rich {
		c.BaseImage = &spec.BaseImage{Repository: "base-images/jvm-21", Tag: "release"}
		s.IntegrationTest.Commands = []string{`curl --fail --silent "$SERVICE_URL/health"`}
		s.Staging.Deployment.Custom = &spec.CustomDeployment{Type: "linear", Percentage: 25, IntervalMinutes: 1}
		// Each environment tests through a hook of its own (its test listener answers only its
		// own VPC); the production-traffic hook may be shared.
		hook := "CodeDeployHook_" + strings.ReplaceAll(name, "-", "_") + "_"
		s.Staging.Hooks.AfterAllowTestTraffic = hook + "staging_smoke"
		s.Production.Hooks = spec.Hooks{AfterAllowTestTraffic: hook + "production_smoke", AfterAllowTraffic: hook + "smoke"}
		s.Production.Alarms.Custom = []spec.CustomAlarm{{Name: "queue-depth", Namespace: "Search", MetricName: "IndexQueueDepth",
			Statistic: "Maximum", Comparison: ">=", Threshold: threshold(1000), PeriodSeconds: 60, EvaluationPeriods: 1}}
	} else {
		s.Staging.Deployment.Config = staging.spec
	}
	s.Production.Deployment.Config = production.spec

	b := baseline.Service{
		Name: s.Name, Repository: s.Repository, Branch: s.Branch, LogRetention: ret.cdk, LogRetentionDays: ret.days, ManualApproval: rich,
		Build: baseline.Build{Test: s.Build.Test, ReportDir: "reports", ComputeType: awscodebuild.ComputeType(s.Build.ComputeType), TimeoutMinutes: 30},
		Container: &baseline.Container{
			Port: c.Port, CPU: c.CPU, MemoryMiB: c.MemoryMiB, DesiredCount: c.DesiredCount, ListenerPort: c.ListenerPort,
			TestListenerPort: c.TestListenerPort, KeepImages: c.KeepImages, TerminationWaitMinutes: c.TerminationWaitMinutes,
			HealthCheckPath: c.HealthCheckPath, Dockerfile: c.Dockerfile, Context: c.Context, Environment: c.Environment,
			ScanThreshold: c.ScanThreshold,
		},
	}
	if c.BaseImage != nil {
		b.Container.BaseImageRepository, b.Container.BaseImageTag = c.BaseImage.Repository, c.BaseImage.Tag
	}
	if rich {
		b.IntegrationTest = &baseline.IntegrationTest{Commands: s.IntegrationTest.Commands, TimeoutMinutes: 20}
		s.Notifications, b.Notifications = richNotifications(name)
		c.Secrets, b.Container.Secrets = richSecrets(name)
	}
	for _, env := range shorthand(&s) {
		a := env.Alarms
		e := baseline.Environment{
			Name: env.Name,
			Alarms: baseline.Alarms{Target5xx: float64(a.Target5xxThreshold), LoadBalancer5xx: float64(a.LoadBalancer5xxThreshold),
				UnhealthyHosts: float64(a.UnhealthyHostsThreshold), P99LatencySeconds: float64(a.P99LatencyMillis) / 1000,
				Custom: customAlarms(a.Custom)},
		}
		for _, h := range spec.EcsHooks(env.Hooks) {
			e.EcsHooks = append(e.EcsHooks, [2]string{h.Event, h.Function})
		}
		if cd := env.Deployment.Custom; cd != nil {
			e.Custom = &baseline.Shift{Linear: cd.Type == "linear", Percentage: cd.Percentage, IntervalMinutes: cd.IntervalMinutes}
		} else {
			p := cdkName(ecsConfigs, env.Deployment.Config)
			e.Config, e.EcsConfigName = p.cdk, p.codeDeploy
		}
		b.Environments = append(b.Environments, e)
	}
	return generated{spec: explicitStages(s), baseline: b}
}

func cdkName(table []predefined, name string) predefined {
	for _, p := range table {
		if p.spec == name {
			return p
		}
	}
	panic("no predefined config " + name)
}

func customAlarms(cs []spec.CustomAlarm) []baseline.CustomAlarm {
	var out []baseline.CustomAlarm
	for _, c := range cs {
		out = append(out, baseline.CustomAlarm{Name: c.Name, Namespace: c.Namespace, MetricName: c.MetricName, Statistic: c.Statistic,
			Dimensions: c.Dimensions, Threshold: *c.Threshold, PeriodSeconds: c.PeriodSeconds, EvaluationPeriods: c.EvaluationPeriods})
	}
	return out
}

// namedEnv is one stage of the two-stage shorthand the generated services use.
type namedEnv struct {
	Name string
	*spec.Environment
}

// shorthand lists the generated service's two stages as its definition sets them, before
// WithDefaults turns them into stages.
func shorthand(s *spec.Service) []namedEnv {
	return []namedEnv{{spec.DefaultFirstStage, &s.Staging}, {spec.DefaultLastStage, &s.Production}}
}

// explicitStages writes the shorthand's two stages as the stages they stand for, every field
// set, so that WithDefaults changes nothing.
func explicitStages(s spec.Service) spec.Service {
	approve, noApproval := *s.ManualApproval, false
	test := s.IntegrationTest
	test.Install, test.Commands = append([]string(nil), test.Install...), append([]string(nil), test.Commands...)
	yes, no, bake, noBake := true, false, spec.DefaultProductionBakeMinutes, 0
	s.Stages = []spec.Stage{
		{Name: spec.DefaultFirstStage, Role: spec.RolePreProduction, Approval: &noApproval, Targets: []spec.Target{{}},
			Deployment: s.Staging.Deployment, Alarms: s.Staging.Alarms, Hooks: s.Staging.Hooks, IntegrationTest: test,
			Safety: spec.Safety{AlarmGate: &no, WatchTargetAlarms: &yes, BakeMinutes: &noBake, OnFailure: spec.OnFailureRetry}},
		{Name: spec.DefaultLastStage, Role: spec.RoleProduction, Approval: &approve, Targets: []spec.Target{{}},
			Deployment: s.Production.Deployment, Alarms: s.Production.Alarms, Hooks: s.Production.Hooks,
			IntegrationTest: spec.IntegrationTest{TimeoutMinutes: spec.DefaultTestTimeoutMinutes},
			Safety:          spec.Safety{AlarmGate: &yes, WatchTargetAlarms: &yes, BakeMinutes: &bake, OnFailure: spec.OnFailureRollback}},
	}
	s.Staging, s.Production, s.ManualApproval, s.IntegrationTest = spec.Environment{}, spec.Environment{}, nil, spec.IntegrationTest{}
	return s
}

// staged turns the services into staged ones (the project-staged variant): their pipeline in
// 111111111111/eu-west-1; dev (with the staging settings) and staging at home; production, after
// its approval, in 222222222222 in two waves, eu-west-1 then us-east-1.
func staged(services []spec.Service) []spec.Service {
	out := make([]spec.Service, len(services))
	for i, s := range services {
		s.Home = spec.Target{Account: "111111111111", Region: "eu-west-1"}
		pre, prod := s.Stages[0], s.Stages[1]
		dev := pre
		dev.Name = "dev"
		if s.IsContainer() {
			dev.Hooks = spec.Hooks{} // a test-traffic hook runs in one stage's VPC only
		}
		prod.Targets = nil
		prod.Waves = []spec.Wave{
			{Name: "eu", Targets: []spec.Target{{Account: "222222222222", Region: "eu-west-1"}}},
			{Name: "us", Targets: []spec.Target{{Account: "222222222222", Region: "us-east-1"}}},
		}
		s.Stages = []spec.Stage{dev, pre, prod}
		out[i] = s
	}
	return out
}
