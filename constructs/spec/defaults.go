package spec

import (
	"maps"
	"strconv"
)

// Runtime families the pipeline knows how to build and bootstrap.
const (
	familyNode   = "nodejs"
	familyPython = "python"
)

// SupportedRuntimes maps each Lambda runtime to the CodeBuild runtime-versions entry that builds
// it on the aws/codebuild/standard:7.0 image.
var SupportedRuntimes = map[string]RuntimeBuild{
	"nodejs22.x": {Family: familyNode, Language: "nodejs", Version: "22"},
	"python3.12": {Family: familyPython, Language: "python", Version: "3.12"},
	"python3.13": {Family: familyPython, Language: "python", Version: "3.13"},
}

// RuntimeBuild says how CodeBuild installs a Lambda runtime.
type RuntimeBuild struct {
	Family   string
	Language string
	Version  string
}

// Defaults of the service definition, named so docs and tests refer to one value.
const (
	DefaultBranch              = "main"
	DefaultMemoryMiB           = 256
	DefaultTimeoutSeconds      = 10
	DefaultReportDir           = "reports"
	DefaultComputeType         = "SMALL"
	DefaultBuildTimeoutMinutes = 30
	DefaultTestTimeoutMinutes  = 20
	DefaultLogRetentionDays    = 30
	DefaultErrorsThreshold     = 1
	DefaultThrottlesThreshold  = 1
	DefaultAlarmStatistic      = "Sum"
	DefaultAlarmComparison     = ">="
	DefaultAlarmPeriodSeconds  = 60
	DefaultEvaluationPeriods   = 1
	// DefaultP99Percent of the function timeout is the default p99 duration threshold.
	DefaultP99Percent = 80
)

// The default build commands of a Lambda service, by runtime family. They work on CodeBuild's
// aws/codebuild/standard:7.0 image with the runtime the buildspec selects (runtime-versions), and
// examples/node-lambda and examples/python-lambda build with them (test/examples_test.go).
//
// Node.js: npm ci installs every dependency, dev ones included (the test runner, the bundler);
// the package's own scripts decide the rest: npm test writes JUnit XML under $REPORT_DIR and
// should test what npm run build produces, and npm run build leaves in dist only what the
// function runs (a bundle, or the code with its production dependencies), never node_modules'
// dev dependencies.
//
// Python (the layout: code in src/, tests in tests/, requirements.txt and requirements-dev.txt):
// the runtime dependencies go into package/, the test tools (pytest at least) into the build
// environment only, so they never ship; the tests import the code from src/ and the
// dependencies from package/, what ships; the package step copies src/ next to the
// dependencies and drops every __pycache__ (byte code that pip and the test run leave behind: a
// cache of the build machine, not code).
var (
	defaultInstall = map[string][]string{
		familyNode:   {"npm ci"},
		familyPython: {"pip install -r requirements.txt -t package", "pip install -r requirements-dev.txt"},
	}
	defaultTest = map[string][]string{
		familyNode:   {"npm test"},
		familyPython: {`PYTHONPATH=package:src python -m pytest --junitxml="$REPORT_DIR/junit.xml" tests`},
	}
	defaultPackage = map[string][]string{
		familyNode:   {"npm run build"},
		familyPython: {"cp -r src/. package/", "find package -name __pycache__ -prune -exec rm -rf {} +"},
	}
)

// WithDefaults returns a copy of the service with every unset field set to its documented
// default. It does not validate: call Validate on the result.
func (s Service) WithDefaults() Service {
	out := s
	if out.Repository == "" {
		out.Repository = out.Name
	}
	if out.Branch == "" {
		out.Branch = DefaultBranch
	}
	if out.LogRetentionDays == 0 {
		out.LogRetentionDays = DefaultLogRetentionDays
	}
	b := &out.Build
	if out.IsContainer() {
		// A container service builds its image with docker: the Dockerfile is the package, and
		// its unit tests have no default (they must write JUnit XML to $REPORT_DIR).
		out.Container = out.Container.withDefaults()
		b.Install = append([]string(nil), b.Install...)
		b.Test = append([]string(nil), b.Test...)
		b.Package = append([]string(nil), b.Package...)
	} else {
		l := &out.Lambda
		if l.MemoryMiB == 0 {
			l.MemoryMiB = DefaultMemoryMiB
		}
		if l.TimeoutSeconds == 0 {
			l.TimeoutSeconds = DefaultTimeoutSeconds
		}
		l.Environment = cloneMap(l.Environment)
		l.Secrets = maps.Clone(l.Secrets)
		family := SupportedRuntimes[l.Runtime].Family
		b.Install = orDefault(b.Install, defaultInstall[family])
		b.Test = orDefault(b.Test, defaultTest[family])
		b.Package = orDefault(b.Package, defaultPackage[family])
		if b.PackageDir == "" {
			b.PackageDir = map[string]string{familyNode: "dist", familyPython: "package"}[family]
		}
	}
	if b.ReportDir == "" {
		b.ReportDir = DefaultReportDir
	}
	if b.ComputeType == "" {
		b.ComputeType = DefaultComputeType
	}
	if b.TimeoutMinutes == 0 {
		b.TimeoutMinutes = DefaultBuildTimeoutMinutes
	}
	out.Notifications = out.Notifications.withDefaults()
	out.Stages = out.stagesWithDefaults()
	return out
}

// stagesWithDefaults are the definition's stages, or the two default ones from the shorthand
// fields (which are then cleared: a defaulted service says everything in its stages), with
// their defaults. A definition that sets both keeps its shorthand for Validate to report.
func (s *Service) stagesWithDefaults() []Stage {
	stages := s.Stages
	if len(stages) == 0 {
		stages = s.defaultStages()
		s.IntegrationTest, s.ManualApproval, s.Staging, s.Production = IntegrationTest{}, nil, Environment{}, Environment{}
		s.fromShorthand = true
	}
	out := make([]Stage, len(stages))
	for i, st := range stages {
		out[i] = st.withDefaults(s, i, len(stages))
	}
	return out
}

// productionOr is the role whose defaults a stage of that role gets: production's, or
// pre-production's (also for an unknown role, which validation reports).
func productionOr(role string) string {
	if role == RoleProduction {
		return role
	}
	return RolePreProduction
}

// withDefaults fills in the deployment and alarm defaults of a stage of that role.
func (e Environment) withDefaults(svc *Service, role string) Environment {
	out := e
	container := svc.IsContainer()
	if out.Deployment.Config == "" && out.Deployment.Custom == nil {
		out.Deployment.Config = map[[2]string]string{
			{"lambda", RolePreProduction}: DefaultStagingConfig, {"lambda", RoleProduction}: DefaultProductionConfig,
			{"container", RolePreProduction}: DefaultEcsStagingConfig, {"container", RoleProduction}: DefaultEcsProductionConfig,
		}[[2]string{runtimeKind(container), productionOr(role)}]
	}
	if out.Deployment.Custom != nil {
		c := *out.Deployment.Custom
		out.Deployment.Custom = &c
	}
	a := &out.Alarms
	setInt := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	if container {
		setInt(&a.Target5xxThreshold, DefaultTarget5xxThreshold)
		setInt(&a.LoadBalancer5xxThreshold, DefaultLoadBalancer5xxThresh)
		setInt(&a.UnhealthyHostsThreshold, DefaultUnhealthyHosts)
		setInt(&a.P99LatencyMillis, DefaultP99LatencyMillis)
	} else {
		setInt(&a.ErrorsThreshold, DefaultErrorsThreshold)
		setInt(&a.ThrottlesThreshold, DefaultThrottlesThreshold)
		setInt(&a.P99DurationMillis, svc.Lambda.TimeoutSeconds*1000*DefaultP99Percent/100)
	}
	custom := make([]CustomAlarm, len(a.Custom))
	for i, c := range a.Custom {
		if c.Namespace == "" && !container {
			c.Namespace = "AWS/Lambda"
		}
		if c.Statistic == "" {
			c.Statistic = DefaultAlarmStatistic
		}
		if c.Comparison == "" {
			c.Comparison = DefaultAlarmComparison
		}
		if c.PeriodSeconds == 0 {
			c.PeriodSeconds = DefaultAlarmPeriodSeconds
		}
		if c.EvaluationPeriods == 0 {
			c.EvaluationPeriods = DefaultEvaluationPeriods
		}
		c.Dimensions = cloneMap(c.Dimensions)
		custom[i] = c
	}
	a.Custom = custom
	return out
}

func orDefault(v, def []string) []string {
	if len(v) > 0 {
		return append([]string(nil), v...)
	}
	return append([]string(nil), def...)
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }

func runtimeKind(container bool) string {
	if container {
		return "container"
	}
	return "lambda"
}
