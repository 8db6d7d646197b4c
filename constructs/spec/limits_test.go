package spec

import (
	"fmt"
	"strings"
	"testing"
)

// problemOn validates a service and returns the problem on field, or fails.
func problemOn(t *testing.T, s Service, field string) Problem {
	t.Helper()
	err := s.WithDefaults().Validate()
	ps, _ := err.(Problems)
	for _, p := range ps {
		if p.Field == field {
			return p
		}
	}
	t.Fatalf("no problem on %s: %v", field, err)
	return Problem{}
}

// accepted fails when the service has any problem.
func accepted(t *testing.T, s Service, what string) {
	t.Helper()
	if err := s.WithDefaults().Validate(); err != nil {
		t.Errorf("%s is refused: %v", what, err)
	}
}

func customAlarms(n int) []CustomAlarm {
	threshold := 1.0
	out := make([]CustomAlarm, n)
	for i := range out {
		out[i] = CustomAlarm{Name: fmt.Sprintf("a%d", i), Namespace: "Shop", MetricName: "Orders", Threshold: &threshold}
	}
	return out
}

// CodeDeploy: "The maximum number of alarms for a deployment group (10)" (AlarmConfiguration,
// AlarmsLimitExceededException). A Lambda environment has 3 default alarms, a container
// environment 6.
func TestAlarmsPerDeploymentGroup(t *testing.T) {
	s := minimal()
	s.Production.Alarms.Custom = customAlarms(7)
	accepted(t, s, "3 default and 7 custom alarms")
	s.Production.Alarms.Custom = customAlarms(8)
	p := problemOn(t, s, "production.alarms.custom")
	if !strings.Contains(p.What, "11 alarms (3 default, 8 custom); CodeDeploy allows at most 10") || !strings.Contains(p.Fix, "at most 7 custom") {
		t.Errorf("message: %s", p)
	}
	c := everyContainer()
	c.Production.Alarms.Custom = customAlarms(4)
	accepted(t, c, "6 default and 4 custom container alarms")
	c.Production.Alarms.Custom = customAlarms(5)
	if p := problemOn(t, c, "production.alarms.custom"); !strings.Contains(p.What, "11 alarms (6 default, 5 custom)") {
		t.Errorf("message: %s", p)
	}
	c.Production.Alarms.Custom = customAlarms(11)
	if p := problemOn(t, c, "production.alarms.custom"); !strings.Contains(p.What, "lists 11 custom alarms, more than 10") {
		t.Errorf("message: %s", p)
	}
}

// CloudWatch (PutMetricAlarm, Metric): at most 30 dimensions; dimension values of at most 255
// characters (the CDK's own check, which panicked before), metric names of at most 255.
func TestCloudWatchLimits(t *testing.T) {
	alarm := func(edit func(*CustomAlarm)) Service {
		s := minimal()
		s.Production.Alarms.Custom = customAlarms(1)
		edit(&s.Production.Alarms.Custom[0])
		return s
	}
	dims := func(n int) map[string]string {
		d := map[string]string{}
		for i := 0; i < n; i++ {
			d[fmt.Sprintf("D%d", i)] = "x"
		}
		return d
	}
	accepted(t, alarm(func(c *CustomAlarm) { c.Dimensions = dims(30) }), "30 dimensions")
	if p := problemOn(t, alarm(func(c *CustomAlarm) { c.Dimensions = dims(31) }), "production.alarms.custom[0].dimensions"); !strings.Contains(p.What, "31 dimensions, more than 30") {
		t.Errorf("message: %s", p)
	}
	accepted(t, alarm(func(c *CustomAlarm) { c.Dimensions = map[string]string{"D": strings.Repeat("v", 255)} }), "a 255-character dimension value")
	if p := problemOn(t, alarm(func(c *CustomAlarm) { c.Dimensions = map[string]string{"D": strings.Repeat("v", 256)} }),
		"production.alarms.custom[0].dimensions.D"); !strings.Contains(p.What, "256 characters long, more than the 255") {
		t.Errorf("message: %s", p)
	}
	problemOn(t, alarm(func(c *CustomAlarm) { c.Dimensions = map[string]string{strings.Repeat("k", 256): "v"} }),
		"production.alarms.custom[0].dimensions."+strings.Repeat("k", 256))
	problemOn(t, alarm(func(c *CustomAlarm) { c.Dimensions = map[string]string{"D": "café"} }), "production.alarms.custom[0].dimensions.D")
	problemOn(t, alarm(func(c *CustomAlarm) { c.Dimensions = map[string]string{":D": "x"} }), "production.alarms.custom[0].dimensions.:D")
	accepted(t, alarm(func(c *CustomAlarm) { c.MetricName = strings.Repeat("m", 255) }), "a 255-character metric name")
	problemOn(t, alarm(func(c *CustomAlarm) { c.MetricName = strings.Repeat("m", 256) }), "production.alarms.custom[0].metricName")
	problemOn(t, alarm(func(c *CustomAlarm) { c.Namespace = strings.Repeat("n", 256) }), "production.alarms.custom[0].namespace")
	// CloudWatch stores values from -2^360 to 2^360 (MetricDatum): a threshold beyond is never crossed.
	huge := 1e109
	problemOn(t, alarm(func(c *CustomAlarm) { c.Threshold = &huge }), "production.alarms.custom[0].threshold")
	// A number the CDK encodes a token as is decoded into a reference, never used as a number.
	token := -1.8881545897087626e+289
	if p := problemOn(t, alarm(func(c *CustomAlarm) { c.Threshold = &token }), "production.alarms.custom[0].threshold"); !strings.Contains(p.What, "encoded token") {
		t.Errorf("message: %s", p)
	}
	if !IsCDKNumberToken(token) || IsCDKNumberToken(-1.8e289) || IsCDKNumberToken(1000) {
		t.Error("IsCDKNumberToken does not tell the CDK's token numbers")
	}
}

// Namespaces that name no metric: a wildcard, AWS/ in another case, a known namespace in the
// wrong case.
func TestNamespacesThatNameNoMetric(t *testing.T) {
	for ns, field := range map[string]string{"AWS/*": "namespace", "aws/lambda": "namespace", "AWS/lambda": "namespace",
		"AWS/DYNAMODB": "namespace", "Aws/SQS": "namespace", "AWS/": "namespace", ":Shop": "namespace"} {
		s := minimal()
		s.Production.Alarms.Custom = customAlarms(1)
		s.Production.Alarms.Custom[0].Namespace = ns
		problemOn(t, s, "production.alarms.custom[0]."+field)
	}
	for _, ns := range []string{"AWS/SQS", "AWS/Lambda", "AWS/SomeNewService", "Shop", "Shop/Orders #1", "ECS/ContainerInsights"} {
		s := minimal()
		s.Production.Alarms.Custom = customAlarms(1)
		s.Production.Alarms.Custom[0].Namespace = ns
		accepted(t, s, "namespace "+ns)
	}
}

// Lambda: all variables at most 4 KB (Lambda quotas), counted as JSON, with the variables
// the secrets add.
func TestLambdaEnvironmentSize(t *testing.T) {
	s := minimal()
	// {"BIG":"…"} is 10 bytes beside the value.
	s.Lambda.Environment = map[string]string{"BIG": strings.Repeat("x", MaxLambdaEnvironmentBytes-10)}
	accepted(t, s, "4096 bytes of variables")
	s.Lambda.Environment["BIG"] += "x"
	if p := problemOn(t, s, "lambda.environment"); !strings.Contains(p.What, "4097 bytes, more than the 4096") {
		t.Errorf("message: %s", p)
	}
	// Counted as the service receives them, without HTML escapes (the fuzzer found the template
	// check counting & as \u0026).
	s.Lambda.Environment = map[string]string{"BIG": strings.Repeat("&<>", (MaxLambdaEnvironmentBytes-10)/3)}
	accepted(t, s, "4096 bytes of & < >")
	s.Lambda.Environment["BIG"] = strings.Repeat("x", MaxLambdaEnvironmentBytes-200)
	accepted(t, s, "variables below the limit")
	s.Lambda.Secrets = map[string]Secret{"DB": {SecretsManager: "orders/" + strings.Repeat("d", 100)}}
	if p := problemOn(t, s, "lambda.environment"); !strings.Contains(p.What, "with the variables its secrets add") {
		t.Errorf("message: %s", p)
	}
}

// ECS: a task definition is at most 64 KiB; the container's variables may take half.
func TestContainerEnvironmentSize(t *testing.T) {
	c := everyContainer()
	c.Container.Environment = map[string]string{}
	for i := 0; i < 9; i++ {
		c.Container.Environment[fmt.Sprintf("V%d", i)] = strings.Repeat("x", 4000)
	}
	problemOn(t, c, "container.environment")
	c.Container.Environment = map[string]string{"PORT": "8081"}
	if p := problemOn(t, c, "container.environment.PORT"); !strings.Contains(p.What, "the port the load balancer sends traffic to") {
		t.Errorf("message: %s", p)
	}
}

// Every subscriber is a resource of the pipeline stack (CloudFormation: 500 resources).
func TestSubscriptionLimit(t *testing.T) {
	s := minimal()
	for i := 0; i < MaxSubscriptions; i++ {
		s.Notifications.Emails = append(s.Notifications.Emails, fmt.Sprintf("team%d@example.com", i))
	}
	accepted(t, s, fmt.Sprintf("%d subscribers", MaxSubscriptions))
	s.Notifications.Webhooks = []string{"https://events.example.com/x"}
	problemOn(t, s, "notifications")
}

// CodeBuild: an inline build spec is at most 25,600 characters ("Max buildspec length is
// 25600", aws-cdk#30326): commands are bounded one by one, by list and by project.
func TestCommandLimits(t *testing.T) {
	s := minimal()
	s.Build.Test = make([]string, MaxCommands)
	for i := range s.Build.Test {
		s.Build.Test[i] = "npm test"
	}
	accepted(t, s, fmt.Sprintf("%d commands", MaxCommands))
	s.Build.Test = append(s.Build.Test, "npm test")
	if p := problemOn(t, s, "build.test"); !strings.Contains(p.What, "lists 51 commands, more than 50") {
		t.Errorf("message: %s", p)
	}
	s.Build.Test = []string{strings.Repeat("x", MaxCommandBytes)}
	accepted(t, s, "a 4096-byte command")
	s.Build.Test = []string{strings.Repeat("x", MaxCommandBytes+1)}
	problemOn(t, s, "build.test[0]")
	s.Build.Test = []string{strings.Repeat("x", 4000), strings.Repeat("x", 4000), strings.Repeat("x", 4000), strings.Repeat("x", 4000), strings.Repeat("x", 400)}
	if p := problemOn(t, s, "build"); !strings.Contains(p.What, "bytes of commands, more than 16384") {
		t.Errorf("message: %s", p)
	}
	s = minimal()
	s.IntegrationTest.Commands = []string{"set -x\nnpm run it\t# tabs and lines are fine", `echo "#{not a pipeline variable here}"`}
	accepted(t, s, "multi-line commands with #{")
	s.IntegrationTest.Commands = []string{"npm run it\r"}
	problemOn(t, s, "integrationTest.commands[0]")
}

// CodePipeline times a CodeDeploy ECS action out after 5 days: the shift, the blue tasks' wait
// and the rest must fit.
func TestEcsDeploymentTime(t *testing.T) {
	c := everyContainer()
	c.Production.Deployment = Deployment{Custom: &CustomDeployment{Type: "canary", Percentage: 10, IntervalMinutes: 2880}}
	c.Container.TerminationWaitMinutes = 2880
	accepted(t, c, "a two-day canary with two days of blue tasks")
	c.Production.Deployment = Deployment{Custom: &CustomDeployment{Type: "linear", Percentage: 10, IntervalMinutes: 1000}}
	if p := problemOn(t, c, "production.deployment"); !strings.Contains(p.What, "longer than the 7200 (5 days)") {
		t.Errorf("message: %s", p)
	}
}

// A report folder inside the package folder, however spelled, and paths read as options.
func TestPaths(t *testing.T) {
	for _, reports := range []string{"./dist", "dist/", "dist/reports", "./dist/./reports"} {
		s := minimal()
		s.Build.ReportDir = reports
		problemOn(t, s, "build.reportDir")
	}
	s := minimal()
	s.Build.ReportDir = "distribution"
	accepted(t, s, "a report folder beside the package")
	s = minimal()
	s.Build.PackageDir = "-rf"
	if p := problemOn(t, s, "build.packageDir"); !strings.Contains(p.What, "as an option") {
		t.Errorf("message: %s", p)
	}
	c := everyContainer()
	c.Container.Context = "--build-arg=X"
	problemOn(t, c, "container.context")
	c = everyContainer()
	c.Container.Dockerfile = "-f"
	problemOn(t, c, "container.dockerfile")
}

// Rules between services: alarm names are unique in an account, a service never builds on
// another's release repository (nor on its own), and two services are never one.
func TestCrossServiceRules(t *testing.T) {
	a := minimal()
	a.Name = "a"
	a.Staging.Alarms.Custom = customAlarms(1)
	a.Staging.Alarms.Custom[0].Name = "production-x"
	b := minimal()
	b.Name = "a-staging"
	b.Production.Alarms.Custom = customAlarms(1)
	b.Production.Alarms.Custom[0].Name = "x"
	ps := CrossServiceProblems([]Service{a.WithDefaults(), b.WithDefaults()})
	if len(ps) != 2 || ps[0].Field != "staging.alarms.custom[0].name" || ps[1].Service != "a-staging" ||
		!strings.Contains(ps[0].What, `"a-staging-production-x"`) {
		t.Errorf("shared alarm name: %v", ps)
	}
	c := everyContainer()
	c.Container.BaseImage.Repository = "orders"
	ps = CrossServiceProblems([]Service{minimal().WithDefaults(), c.WithDefaults()})
	if len(ps) != 1 || ps[0].Field != "container.baseImage.repository" || !strings.Contains(ps[0].What, `release repository of service "orders"`) {
		t.Errorf("another service's repository: %v", ps)
	}
	if err := ValidateAll([]Service{minimal().WithDefaults(), c.WithDefaults()}); err == nil {
		t.Error("ValidateAll accepts a service building on another's release repository")
	}
	c.Container.BaseImage.Repository = "catalog"
	problemOn(t, c, "container.baseImage.repository")
}

// A map entry always has a name: an empty one would make a variable named _SECRET_ARN.
func TestEmptyNames(t *testing.T) {
	s := minimal()
	s.Lambda.Secrets = map[string]Secret{"": {SecretsManager: "orders/db"}}
	problemOn(t, s, "lambda.secrets.")
	s = minimal()
	s.Lambda.Environment = map[string]string{"": "x"}
	problemOn(t, s, "lambda.environment.")
}
