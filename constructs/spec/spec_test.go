package spec

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

func minimal() Service {
	return Service{Name: "orders", Lambda: Lambda{Runtime: "nodejs22.x", Handler: "index.handler"}}
}

func TestWithDefaultsFillsEveryDocumentedDefault(t *testing.T) {
	s := minimal().WithDefaults()
	checks := map[string][2]interface{}{
		"repository":          {s.Repository, "orders"},
		"branch":              {s.Branch, "main"},
		"memory":              {s.Lambda.MemoryMiB, 256},
		"timeout":             {s.Lambda.TimeoutSeconds, 10},
		"install":             {strings.Join(s.Build.Install, ";"), "npm ci"},
		"test":                {strings.Join(s.Build.Test, ";"), "npm test"},
		"package":             {strings.Join(s.Build.Package, ";"), "npm run build"},
		"packageDir":          {s.Build.PackageDir, "dist"},
		"reportDir":           {s.Build.ReportDir, "reports"},
		"computeType":         {s.Build.ComputeType, "SMALL"},
		"buildTimeout":        {s.Build.TimeoutMinutes, 30},
		"testTimeout":         {s.Stages[0].IntegrationTest.TimeoutMinutes, 20},
		"logRetention":        {s.LogRetentionDays, 30},
		"stages":              {strings.Join(s.StageNames(), ","), "staging,production"},
		"staging role":        {s.Stages[0].Role, RolePreProduction},
		"production role":     {s.Stages[1].Role, RoleProduction},
		"staging approval":    {s.Stages[0].ApprovalRequired(), false},
		"approval":            {s.Stages[1].ApprovalRequired(), true},
		"staging targets":     {len(s.Stages[0].WaveList()[0].Targets), 1},
		"home target":         {s.Stages[1].Targets[0], Target{}},
		"staging config":      {s.Stages[0].Deployment.Config, "AllAtOnce"},
		"production config":   {s.Stages[1].Deployment.Config, "Canary10Percent5Minutes"},
		"errors threshold":    {s.Stages[1].Alarms.ErrorsThreshold, 1},
		"throttles threshold": {s.Stages[1].Alarms.ThrottlesThreshold, 1},
		"p99 threshold":       {s.Stages[1].Alarms.P99DurationMillis, 8000},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s: got %v, want %v", name, c[0], c[1])
		}
	}
	if err := s.Validate(); err != nil {
		t.Errorf("the minimal definition with defaults is invalid: %v", err)
	}

	py := Service{Name: "payments", Lambda: Lambda{Runtime: "python3.13", Handler: "app.handler", TimeoutSeconds: 30},
		Production: Environment{Alarms: Alarms{Custom: []CustomAlarm{{Name: "x", MetricName: "Invocations", Threshold: new(float64)}}}}}.WithDefaults()
	if py.Build.PackageDir != "package" || !strings.HasPrefix(py.Build.Install[0], "pip install") || py.Stages[1].Alarms.P99DurationMillis != 24000 {
		t.Errorf("python defaults: %+v", py.Build)
	}
	c := py.Stages[1].Alarms.Custom[0]
	if c.Namespace != "AWS/Lambda" || c.Statistic != "Sum" || c.Comparison != ">=" || c.PeriodSeconds != 60 || c.EvaluationPeriods != 1 {
		t.Errorf("custom alarm defaults: %+v", c)
	}
}

func TestContainerDefaults(t *testing.T) {
	s := Service{Name: "catalog", Container: &Container{}, Build: Build{Test: []string{"make test"}}}.WithDefaults()
	c := s.Container
	got := []interface{}{c.Port, c.CPU, c.MemoryMiB, c.DesiredCount, c.HealthCheckPath, c.ListenerPort, c.TestListenerPort,
		c.Dockerfile, c.Context, c.KeepImages, c.TerminationWaitMinutes,
		s.Stages[0].Deployment.Config, s.Stages[1].Deployment.Config,
		s.Stages[1].Alarms.Target5xxThreshold, s.Stages[1].Alarms.LoadBalancer5xxThreshold,
		s.Stages[1].Alarms.UnhealthyHostsThreshold, s.Stages[1].Alarms.P99LatencyMillis,
		s.Stages[1].Alarms.ErrorsThreshold, s.Build.PackageDir, len(s.Build.Install)}
	want := []interface{}{8080, 256, 512, 2, "/health", 80, 9000, "Dockerfile", ".", 30, 5,
		"ECSAllAtOnce", "ECSCanary10Percent5Minutes", 5, 5, 1, 1000, 0, "", 0}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("default %d: got %v, want %v", i, got[i], want[i])
		}
	}
	if err := s.Validate(); err != nil {
		t.Errorf("the minimal container definition is invalid: %v", err)
	}
	base := Service{Name: "catalog", Container: &Container{BaseImage: &BaseImage{Repository: "base/node"}}, Build: Build{Test: []string{"x"}}}.WithDefaults()
	if base.Container.BaseImage.Tag != "release" {
		t.Errorf("base image tag default %q", base.Container.BaseImage.Tag)
	}
}

// The longest Lambda shift fits in CodeBuild's timeout with the deploy step's allowances; a
// container's shift is not bounded by CodeBuild. (Production here bakes 0 minutes: the bake
// is watched by the stack update too, and takes its time from the shift, below.)
func TestShiftLimits(t *testing.T) {
	ok := minimal()
	noBake := Safety{BakeMinutes: new(int), NoBakeReason: "the shift limit alone"}
	ok.Production.Safety = noBake
	ok.Production.Deployment = Deployment{Custom: &CustomDeployment{Type: "canary", Percentage: 10, IntervalMinutes: MaxShiftMinutes}}
	if err := ok.WithDefaults().Validate(); err != nil {
		t.Errorf("a %d-minute shift is rejected: %v", MaxShiftMinutes, err)
	}
	if MaxShiftMinutes+deployOverheadMinutes+DeployBusyMinutes+DeploySettleMinutes+DeployProjectSlackMinutes != maxCodeBuildMinutes {
		t.Errorf("MaxShiftMinutes %d does not leave the deploy project within CodeBuild's %d minutes", MaxShiftMinutes, maxCodeBuildMinutes)
	}
	// Every hook may keep CodeDeploy waiting an hour: a shift that fits without hooks does not
	// fit with two, and the deploy step waits for the hooks too.
	hooked := ok
	hooked.Production.Hooks = Hooks{PreTraffic: "hooks.pre", PostTraffic: "hooks.post"}
	if err := hooked.WithDefaults().Validate(); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("longer than the pipeline can wait (%d)", MaxShiftMinutes-2*HookWaitMinutes)) {
		t.Errorf("a %d-minute shift with two hooks is accepted: %v", MaxShiftMinutes, err)
	}
	if got, want := hooked.WithDefaults().Stages[1].LambdaDeployTimeoutMinutes(), MaxShiftMinutes+deployOverheadMinutes+2*HookWaitMinutes; got != want {
		t.Errorf("deploy timeout with two hooks %d, want %d", got, want)
	}
	// A bake is part of the stack update (CloudFormation's monitoring time): it takes from the
	// shift what it adds to the wait.
	baked := ok
	baked.Production.Safety = Safety{}
	if err := baked.WithDefaults().Validate(); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("longer than the pipeline can wait (%d)", MaxShiftMinutes-DefaultProductionBakeMinutes)) {
		t.Errorf("a %d-minute shift with a %d-minute bake is accepted: %v", MaxShiftMinutes, DefaultProductionBakeMinutes, err)
	}
	tooLong := minimal()
	tooLong.Production.Safety = noBake
	tooLong.Production.Deployment = Deployment{Custom: &CustomDeployment{Type: "canary", Percentage: 10, IntervalMinutes: MaxShiftMinutes + 1}}
	if err := tooLong.WithDefaults().Validate(); err == nil || !strings.Contains(err.Error(), "longer than the pipeline can wait") {
		t.Errorf("a %d-minute shift is accepted: %v", MaxShiftMinutes+1, err)
	}
	c := Service{Name: "catalog", Container: &Container{}, Build: Build{Test: []string{"x"}},
		Production: Environment{Deployment: Deployment{Custom: &CustomDeployment{Type: "canary", Percentage: 10, IntervalMinutes: 600}}}}
	if err := c.WithDefaults().Validate(); err != nil {
		t.Errorf("a container's long shift is rejected: %v", err)
	}
}

// WithDefaults copies: filling in one service never changes the definition it came from.
func TestWithDefaultsDoesNotAlias(t *testing.T) {
	orig := minimal()
	orig.Lambda.Environment = map[string]string{"A": "1"}
	orig.Production.Deployment.Custom = &CustomDeployment{Type: "canary", Percentage: 10, IntervalMinutes: 3}
	d := orig.WithDefaults()
	d.Lambda.Environment["A"] = "2"
	d.Stages[1].Deployment.Custom.Percentage = 50
	if orig.Lambda.Environment["A"] != "1" || orig.Production.Deployment.Custom.Percentage != 10 {
		t.Error("WithDefaults shares maps or pointers with its input")
	}
}

func TestValidateReportsEveryProblemWithFieldAndFix(t *testing.T) {
	threshold := 1.0
	cases := []struct {
		name   string
		edit   func(*Service)
		field  string
		phrase string
	}{
		{"missing name", func(s *Service) { s.Name = "" }, "name", "is missing"},
		{"bad name", func(s *Service) { s.Name = "Orders_Svc" }, "name", "lowercase letters"},
		{"trailing hyphen", func(s *Service) { s.Name = "orders-" }, "name", "not a valid service name"},
		{"long name", func(s *Service) { s.Name = strings.Repeat("a", 29) }, "name", "2-28"},
		{"bad repository", func(s *Service) { s.Repository = "my repo" }, "repository", "not a valid repository name"},
		{"repository .git", func(s *Service) { s.Repository = "orders.git" }, "repository", "not ending in .git"},
		{"bad branch", func(s *Service) { s.Branch = "feature..x" }, "branch", "not a valid git branch"},
		{"unknown runtime", func(s *Service) { s.Lambda.Runtime = "nodejs22" }, "lambda.runtime", `did you mean "nodejs22.x"`},
		{"missing runtime", func(s *Service) { s.Lambda.Runtime = "" }, "lambda.runtime", "runtime is missing"},
		{"missing handler", func(s *Service) { s.Lambda.Handler = "" }, "lambda.handler", "name the handler"},
		{"memory", func(s *Service) { s.Lambda.MemoryMiB = 64 }, "lambda.memoryMiB", "128 to 10240"},
		{"timeout", func(s *Service) { s.Lambda.TimeoutSeconds = 901 }, "lambda.timeoutSeconds", "1 to 900"},
		{"reserved env", func(s *Service) { s.Lambda.Environment = map[string]string{"AWS_REGION": "x"} }, "lambda.environment.AWS_REGION", "is reserved"},
		{"reserved runtime env", func(s *Service) { s.Lambda.Environment = map[string]string{"LAMBDA_TASK_ROOT": "x"} }, "lambda.environment.LAMBDA_TASK_ROOT", "is reserved"},
		{"nan threshold", func(s *Service) {
			nan := math.NaN()
			s.Production.Alarms.Custom = []CustomAlarm{{Name: "x", MetricName: "Errors", Threshold: &nan}}
		}, "production.alarms.custom[0].threshold", "finite number"},
		{"empty dimension", func(s *Service) {
			s.Production.Alarms.Custom = []CustomAlarm{{Name: "x", Namespace: "Shop", MetricName: "Orders", Threshold: &threshold, Dimensions: map[string]string{"Env": ""}}}
		}, "production.alarms.custom[0].dimensions.Env", "empty name or value"},
		{"alarm longer than a day", func(s *Service) {
			s.Production.Alarms.Custom = []CustomAlarm{{Name: "x", MetricName: "Errors", Threshold: &threshold, PeriodSeconds: 86400, EvaluationPeriods: 2}}
		}, "production.alarms.custom[0].evaluationPeriods", "more than a day"},
		{"stale acknowledgement", func(s *Service) { s.Staging.Deployment.AcknowledgeAllAtOnce = true }, "staging.deployment.acknowledgeAllAtOnce", "does not take"},
		{"big production canary", func(s *Service) {
			s.Production.Deployment = Deployment{Custom: &CustomDeployment{Type: "canary", Percentage: 99, IntervalMinutes: 1}}
		}, "production.deployment", "99% of its callers"},
		{"branch empty component", func(s *Service) { s.Branch = "a//b" }, "branch", "not a valid git branch"},
		{"branch hidden component", func(s *Service) { s.Branch = "a/.b" }, "branch", "not a valid git branch"},
		{"reports in the package", func(s *Service) { s.Build.ReportDir = "dist" }, "build.reportDir", "ship in the package"},
		{"empty command", func(s *Service) { s.Build.Test = []string{" "} }, "build.test[0]", "empty command"},
		{"package dir escapes", func(s *Service) { s.Build.PackageDir = "../dist" }, "build.packageDir", "relative path"},
		{"compute type", func(s *Service) { s.Build.ComputeType = "SMAL" }, "build.computeType", `did you mean "SMALL"`},
		{"build timeout", func(s *Service) { s.Build.TimeoutMinutes = 500 }, "build.timeoutMinutes", "5 to 480"},
		{"integration install only", func(s *Service) { s.IntegrationTest.Install = []string{"npm ci"} }, "integrationTest.commands", "add the test commands"},
		{"log retention", func(s *Service) { s.LogRetentionDays = 31 }, "logRetentionDays", "retention period"},
		{"unknown config", func(s *Service) { s.Production.Deployment.Config = "Canary10Percent5Minute" }, "production.deployment.config", `did you mean "Canary10Percent5Minutes"`},
		{"codedeploy prefix", func(s *Service) { s.Production.Deployment.Config = "CodeDeployDefault.LambdaAllAtOnce" }, "production.deployment.config", `did you mean "AllAtOnce"`},
		{"config and custom", func(s *Service) {
			s.Staging.Deployment = Deployment{Config: "AllAtOnce", Custom: &CustomDeployment{Type: "canary", Percentage: 10, IntervalMinutes: 5}}
		}, "staging.deployment", "keep one"},
		{"custom type", func(s *Service) {
			s.Staging.Deployment = Deployment{Custom: &CustomDeployment{Type: "blue", Percentage: 10, IntervalMinutes: 5}}
		}, "staging.deployment.custom.type", `"canary" or "linear"`},
		{"custom percent", func(s *Service) {
			s.Staging.Deployment = Deployment{Custom: &CustomDeployment{Type: "linear", Percentage: 100, IntervalMinutes: 5}}
		}, "staging.deployment.custom.percentage", "1 to 99"},
		{"custom too slow", func(s *Service) {
			s.Production.Deployment = Deployment{Custom: &CustomDeployment{Type: "linear", Percentage: 1, IntervalMinutes: 60}}
		}, "production.deployment.custom", "longer than the pipeline can wait"},
		{"production all at once", func(s *Service) { s.Production.Deployment.Config = "AllAtOnce" }, "production.deployment", "acknowledgeAllAtOnce: true"},
		{"errors threshold", func(s *Service) { s.Production.Alarms.ErrorsThreshold = -1 }, "production.alarms.errorsThreshold", "use 1 or more"},
		{"p99 above timeout", func(s *Service) { s.Staging.Alarms.P99DurationMillis = 20000 }, "staging.alarms.p99DurationMillis", "use 1 to 10000"},
		{"alarm without threshold", func(s *Service) {
			s.Production.Alarms.Custom = []CustomAlarm{{Name: "x", MetricName: "Invocations"}}
		}, "production.alarms.custom[0].threshold", "is missing"},
		{"alarm name clash", func(s *Service) {
			s.Production.Alarms.Custom = []CustomAlarm{{Name: "errors", MetricName: "Errors", Threshold: &threshold}}
		}, "production.alarms.custom[0].name", "used twice"},
		{"alarm statistic", func(s *Service) {
			s.Production.Alarms.Custom = []CustomAlarm{{Name: "x", MetricName: "Errors", Threshold: &threshold, Statistic: "Avg"}}
		}, "production.alarms.custom[0].statistic", "p99"},
		{"alarm period", func(s *Service) {
			s.Production.Alarms.Custom = []CustomAlarm{{Name: "x", MetricName: "Errors", Threshold: &threshold, PeriodSeconds: 90}}
		}, "production.alarms.custom[0].periodSeconds", "multiple of 60"},
		{"lambda alarm dimensions", func(s *Service) {
			s.Production.Alarms.Custom = []CustomAlarm{{Name: "x", MetricName: "Errors", Threshold: &threshold, Dimensions: map[string]string{"A": "b"}}}
		}, "production.alarms.custom[0].dimensions", "live alias"},
		{"bad hook", func(s *Service) { s.Production.Hooks.PreTraffic = "hooks pre" }, "production.hooks.preTraffic", "not a handler"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := minimal()
			c.edit(&s)
			err := s.WithDefaults().Validate()
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("want Problems, got %v", err)
			}
			for _, p := range ps {
				if p.Field == c.field && strings.Contains(p.String(), c.phrase) && p.Fix != "" {
					if !strings.HasPrefix(p.String(), `service "`+s.Name+`": `+c.field+": ") {
						t.Errorf("message does not lead with the service and field: %s", p)
					}
					return
				}
			}
			t.Errorf("no problem on %s mentioning %q in:\n%v", c.field, c.phrase, err)
		})
	}
}

// Settable variables Lambda does not reserve are accepted, and a derived check does not repeat
// the problem of the field it derives from.
func TestValidateAcceptsAndDoesNotCascade(t *testing.T) {
	s := minimal()
	s.Lambda.Environment = map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": "/opt/wrapper"}
	if err := s.WithDefaults().Validate(); err != nil {
		t.Errorf("AWS_LAMBDA_EXEC_WRAPPER rejected: %v", err)
	}
	s = minimal()
	s.Lambda.TimeoutSeconds = -5
	err := s.WithDefaults().Validate()
	if n := len(err.(Problems)); n != 1 || !strings.Contains(err.Error(), "lambda.timeoutSeconds") {
		t.Errorf("want only the timeout problem, got %v", err)
	}
	s = minimal()
	s.Name = "my svc"
	err = s.WithDefaults().Validate()
	if n := len(err.(Problems)); n != 1 {
		t.Errorf("want only the name problem, got %v", err)
	}
}

func TestValidateAllReportsAllServicesAtOnceAndDuplicates(t *testing.T) {
	a := minimal()
	a.Lambda.MemoryMiB = 1
	b := minimal()
	b.Lambda.Runtime = "go1.x"
	c := minimal()
	c.Name = "payments"
	var defaulted []Service
	for _, s := range []Service{a, b, c} {
		defaulted = append(defaulted, s.WithDefaults())
	}
	err := ValidateAll(defaulted)
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("want problems, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"lambda.memoryMiB", "lambda.runtime", "is used by definitions 1 and 2", "3 problem(s)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if ValidateAll([]Service{minimal().WithDefaults(), c.WithDefaults()}) != nil {
		t.Error("two good, distinct services rejected")
	}
}

func TestShiftAndTimeoutMinutes(t *testing.T) {
	cases := []struct {
		d     Deployment
		shift int
	}{
		{Deployment{Config: "AllAtOnce"}, 0},
		{Deployment{Config: "Canary10Percent30Minutes"}, 30},
		{Deployment{Config: "Linear10PercentEvery10Minutes"}, 90},
		{Deployment{Custom: &CustomDeployment{Type: "canary", Percentage: 25, IntervalMinutes: 7}}, 7},
		{Deployment{Custom: &CustomDeployment{Type: "linear", Percentage: 20, IntervalMinutes: 4}}, 16},
		{Deployment{Custom: &CustomDeployment{Type: "linear", Percentage: 30, IntervalMinutes: 5}}, 15},
	}
	for _, c := range cases {
		if got := c.d.ShiftMinutes(); got != c.shift {
			t.Errorf("%s: shift %d, want %d", c.d.Describe(), got, c.shift)
		}
		if got := c.d.DeployTimeoutMinutes(); got != c.shift+deployOverheadMinutes {
			t.Errorf("%s: timeout %d", c.d.Describe(), got)
		}
	}
}

// Plain variables that hold secrets are refused, by value whatever the name, and by name unless
// the variable says where a secret is.
func TestSecretProblem(t *testing.T) {
	for _, c := range []struct {
		name, value string
		secret      bool
	}{
		{"LOG_LEVEL", "info", false},
		{"DB_PASSWORD", "hunter2", true},
		{"API_KEY", "abc", true},
		{"GITHUB_TOKEN", "x", true},
		{"UPSTREAM", "AKIAIOSFODNN7EXAMPLE", true},
		{"CERT", "-----BEGIN RSA PRIVATE KEY-----", true},
		{"DATABASE", "postgres://app:s3cret@db:5432/app", true},
		{"DATABASE", "postgres://db:5432/app", false},
		{"SIGNING", "{{resolve:secretsmanager:svc/signing}}", true},
		{"TOKEN_URL", "https://auth.example.com/token", false},
		{"DB_SECRET_ARN", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db", false},
		{"API_KEY_PARAMETER_NAME", "/svc/api-key", false},
		{"PASSWORD_MIN_LENGTH", "12", false},
		{"SECRET", "", false},
		{"DB_PASS", "x7!kq", true},
		{"DB_PASSWORD_ID", "hunter2", true},
		{"JWT_SIGNING_KEY", "c2VjcmV0", true},
		{"TOKEN_TTL", "3600", false},
		{"CACHE_KEY_PREFIX", "orders", false},
	} {
		if got := SecretProblem(c.name, c.value) != ""; got != c.secret {
			t.Errorf("SecretProblem(%q, %q) = %q, want secret=%v", c.name, c.value, SecretProblem(c.name, c.value), c.secret)
		}
	}
}
