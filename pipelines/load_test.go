package pipelines

import (
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// everyField sets every field of a service definition that lists its stages to a value other
// than its default.
const everyField = `# yaml-language-server: $schema=./service.schema.json
name: inventory
repository: acme/inventory-service
branch: release/2.x
source:
  connection: arn:aws:codeconnections:eu-west-1:111111111111:connection/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d
  folder: services/inventory
  tags: [inventory-v*]
  pullRequests: true
  provider: gitlab-self-managed
  host: git.example.com
lambda:
  runtime: python3.12
  handler: app.main
  memoryMiB: 1024
  timeoutSeconds: 20
  environment:
    MODE: strict
  secrets:
    DB: {secretsManager: inventory/db}
    API_KEY: {parameter: /inventory/api-key}
build:
  install: [pip install -r requirements.txt -t out]
  test: [pytest --junitxml=test-results/unit.xml]
  reportDir: test-results
  package: [cp -r app/. out/]
  packageDir: out
  computeType: MEDIUM
  timeoutMinutes: 45
home: {account: "111111111111", region: eu-west-1}
stages:
  - name: dev
    role: pre-production
    approval: true
    targets: [{account: "222222222222", region: eu-central-1}]
    deployment:
      custom: {type: linear, percentage: 25, intervalMinutes: 1}
    alarms:
      errorsThreshold: 2
      throttlesThreshold: 3
      p99DurationMillis: 1500
      custom:
        - {name: orders, namespace: Shop, metricName: Orders, dimensions: {Env: staging}, statistic: p90, threshold: 0.5, comparison: "<", periodSeconds: 300, evaluationPeriods: 3}
    hooks: {preTraffic: hooks.pre, postTraffic: hooks.post}
    integrationTest:
      install: [pip install -r it.txt]
      commands: [pytest it]
      timeoutMinutes: 15
    safety:
      alarmGate: true
      gateAlarms: [platform-incident]
      bakeMinutes: 0
      noBakeReason: dev is rebuilt every night
      windows: [{cron: "* * 8-18 ? * MON-FRI *", timeZone: Europe/Berlin}]
      onFailure: stop
      canary: {minimumInvocations: 5}
  - name: production
    role: production
    waves:
      - name: eu
        targets: [{account: "333333333333", region: eu-west-1}]
      - name: us
        targets: [{account: "333333333333", region: us-east-1}]
    deployment:
      config: AllAtOnce
      acknowledgeAllAtOnce: true
    alarms:
      errorsThreshold: 5
      throttlesThreshold: 6
      p99DurationMillis: 2500
      custom:
        - {name: lag, namespace: Shop, metricName: Lag, dimensions: {Env: prod}, statistic: Average, threshold: 9, comparison: ">", periodSeconds: 120, evaluationPeriods: 2}
    hooks: {preTraffic: hooks.pre2, postTraffic: hooks.post2}
    safety: {watchTargetAlarms: true, bakeMinutes: 45, onFailure: rollback}
notifications:
  emails: [inventory-team@example.com]
  webhooks: [https://events.example.com/sns/inventory]
  slackChannels: [arn:aws:chatbot::123456789012:chat-configuration/slack-channel/inventory]
logRetentionDays: 365
`

// everyFieldAlt sets the alternatives everyField cannot set beside their counterpart (config
// or custom shift).
const everyFieldAlt = `name: inventory
lambda: {runtime: python3.12, handler: app.main}
stages:
  - name: staging
    deployment: {config: Linear10PercentEvery3Minutes}
  - name: production
    deployment:
      custom: {type: canary, percentage: 5, intervalMinutes: 30}
`

// everyShorthandField sets every field of the two-stage shorthand (staging, production,
// manualApproval, integrationTest), and shorthandAsStages says the same with stages.
const everyShorthandField = `name: inventory
lambda: {runtime: python3.12, handler: app.main}
integrationTest:
  install: [pip install -r it.txt]
  commands: [pytest it]
  timeoutMinutes: 15
manualApproval: false
staging:
  deployment:
    custom: {type: linear, percentage: 25, intervalMinutes: 1}
  alarms:
    errorsThreshold: 2
    throttlesThreshold: 3
    p99DurationMillis: 1500
    custom:
      - {name: orders, namespace: Shop, metricName: Orders, dimensions: {Env: staging}, statistic: p90, threshold: 0.5, comparison: "<", periodSeconds: 300, evaluationPeriods: 3}
  hooks: {preTraffic: hooks.pre, postTraffic: hooks.post}
production:
  deployment:
    config: AllAtOnce
    acknowledgeAllAtOnce: true
  alarms:
    errorsThreshold: 5
    throttlesThreshold: 6
    p99DurationMillis: 2500
    custom:
      - {name: lag, namespace: Shop, metricName: Lag, dimensions: {Env: prod}, statistic: Average, threshold: 9, comparison: ">", periodSeconds: 120, evaluationPeriods: 2}
  hooks: {preTraffic: hooks.pre2, postTraffic: hooks.post2}
`

const shorthandAsStages = `name: inventory
lambda: {runtime: python3.12, handler: app.main}
stages:
  - name: staging
    deployment:
      custom: {type: linear, percentage: 25, intervalMinutes: 1}
    alarms:
      errorsThreshold: 2
      throttlesThreshold: 3
      p99DurationMillis: 1500
      custom:
        - {name: orders, namespace: Shop, metricName: Orders, dimensions: {Env: staging}, statistic: p90, threshold: 0.5, comparison: "<", periodSeconds: 300, evaluationPeriods: 3}
    hooks: {preTraffic: hooks.pre, postTraffic: hooks.post}
    integrationTest:
      install: [pip install -r it.txt]
      commands: [pytest it]
      timeoutMinutes: 15
  - name: production
    approval: false
    deployment:
      config: AllAtOnce
      acknowledgeAllAtOnce: true
    alarms:
      errorsThreshold: 5
      throttlesThreshold: 6
      p99DurationMillis: 2500
      custom:
        - {name: lag, namespace: Shop, metricName: Lag, dimensions: {Env: prod}, statistic: Average, threshold: 9, comparison: ">", periodSeconds: 120, evaluationPeriods: 2}
    hooks: {preTraffic: hooks.pre2, postTraffic: hooks.post2}
`

// everyContainerField sets the fields only a container service has.
const everyContainerField = `name: inventory
container:
  port: 3000
  cpu: 1024
  memoryMiB: 4096
  desiredCount: 4
  healthCheckPath: /ready
  listenerPort: 8080
  testListenerPort: 9443
  dockerfile: docker/Dockerfile
  context: app
  environment: {MODE: fast}
  secrets: {TOKEN_URL: {parameter: /inventory/token-url}}
  baseImage: {repository: base/python, tag: stable}
  scanThreshold: CRITICAL
  keepImages: 10
  terminationWaitMinutes: 15
build:
  test: [make test]
staging:
  alarms: {target5xxThreshold: 2, loadBalancer5xxThreshold: 3, unhealthyHostsThreshold: 2, p99LatencyMillis: 800}
  safety: {canary: {path: /inventory}}
  hooks: {beforeInstall: CodeDeployHook_a, afterInstall: CodeDeployHook_b, afterAllowTestTraffic: CodeDeployHook_c,
    beforeAllowTraffic: CodeDeployHook_d, afterAllowTraffic: CodeDeployHook_e}
production:
  alarms: {target5xxThreshold: 4, loadBalancer5xxThreshold: 5, unhealthyHostsThreshold: 3, p99LatencyMillis: 900}
  hooks: {beforeInstall: CodeDeployHook_a, afterInstall: CodeDeployHook_b, afterAllowTestTraffic: CodeDeployHook_c_production,
    beforeAllowTraffic: CodeDeployHook_d_production, afterAllowTraffic: CodeDeployHook_e}
`

// fieldsSet adds to set the path of every field of v (a slice's elements as [], a map as
// itself) that holds a value other than its zero value.
func fieldsSet(v reflect.Value, path string, set map[string]bool) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			fieldsSet(v.Elem(), path, set)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fieldsSet(v.Field(i), path+"."+v.Type().Field(i).Name, set)
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			fieldsSet(v.Index(i), path+"[]", set)
		}
	default:
		if !v.IsZero() {
			set[path] = true
		}
	}
}

// fieldPaths are the paths of every field of the type, as fieldsSet writes them.
func fieldPaths(t reflect.Type, path string) []string {
	switch t.Kind() {
	case reflect.Pointer:
		return fieldPaths(t.Elem(), path)
	case reflect.Struct:
		var out []string
		for i := 0; i < t.NumField(); i++ {
			if t.Field(i).IsExported() {
				out = append(out, fieldPaths(t.Field(i).Type, path+"."+t.Field(i).Name)...)
			}
		}
		return out
	case reflect.Slice:
		return fieldPaths(t.Elem(), path+"[]")
	}
	return []string{path}
}

func load(t *testing.T, doc string) spec.Service {
	t.Helper()
	services, err := Load([]File{{Name: "inventory.yaml", Data: []byte(doc)}})
	if err != nil {
		t.Fatal(err)
	}
	return services[0]
}

// Every option of the construct can be written in a definition file: between them, the
// files set every field of spec.Service to a value other than its zero value. The two-stage
// shorthand's fields become stages when the defaults are filled in; that they say what their
// stages say is shown against the same definition written with stages.
func TestEveryFieldIsExpressible(t *testing.T) {
	set := map[string]bool{}
	for _, doc := range []string{everyField, everyFieldAlt, everyContainerField} {
		fieldsSet(reflect.ValueOf(load(t, doc)), "Service", set)
	}
	shorthand := map[string]bool{"Staging": true, "Production": true, "ManualApproval": true, "IntegrationTest": true}
	var never []string
	for _, p := range fieldPaths(reflect.TypeOf(spec.Service{}), "Service") {
		top := strings.SplitN(strings.TrimPrefix(p, "Service."), ".", 2)[0]
		if !set[p] && !shorthand[top] {
			never = append(never, p)
		}
	}
	if len(never) > 0 {
		t.Errorf("fields no definition file sets: %v", never)
	}
	if got := load(t, everyField).Stages[0].Deployment.Custom; got == nil || got.Percentage != 25 || got.Type != "linear" {
		t.Errorf("custom deployment %+v", got)
	}
	short, long := load(t, everyShorthandField), load(t, shorthandAsStages)
	if !reflect.DeepEqual(short.Stages, long.Stages) {
		t.Errorf("the shorthand loads as\n%+v\nwant\n%+v", short.Stages, long.Stages)
	}
	set = map[string]bool{}
	fieldsSet(reflect.ValueOf(long.Stages[0]), "Stage", set)
	if !set["Stage.IntegrationTest.Install[]"] || !set["Stage.Hooks.PreTraffic"] || !set["Stage.Alarms.Custom[].Dimensions"] {
		t.Errorf("the shorthand's staging stage lacks fields: %v", set)
	}
}

// The example definitions load (whatever services the example holds: the tests assert on their
// own fixtures, in test/fixtures), each from the file named after it, already defaulted.
func TestExamplesLoadWithDefaults(t *testing.T) {
	services, err := All()
	if err != nil {
		t.Fatal(err)
	}
	if len(services) == 0 {
		t.Fatal("the example app has no services")
	}
	for _, s := range services {
		if _, err := definitions.Open(s.Name + ".yaml"); err != nil {
			t.Errorf("service %q does not come from %s.yaml: %v", s.Name, s.Name, err)
		}
		// Loading is idempotent: the loaded value is already defaulted.
		if !reflect.DeepEqual(s, s.WithDefaults()) {
			t.Errorf("%s: a loaded service changes when its defaults are filled in again", s.Name)
		}
	}
}

// The loader gives the same value a Go caller would write, with the defaults filled in.
func TestLoadGivesWhatGoWrites(t *testing.T) {
	doc := `name: payments
repository: payments-service
branch: release
lambda: {runtime: python3.13, handler: app.handler}
manualApproval: false
staging:
  deployment:
    custom: {type: canary, percentage: 50, intervalMinutes: 2}
production:
  deployment: {config: Linear10PercentEvery2Minutes}
  alarms:
    errorsThreshold: 3
    custom: [{name: concurrency, metricName: ConcurrentExecutions, statistic: Maximum, threshold: 200}]
logRetentionDays: 90
`
	manual := false
	threshold := 200.0
	want := spec.Service{
		Name: "payments", Repository: "payments-service", Branch: "release",
		Lambda:         spec.Lambda{Runtime: "python3.13", Handler: "app.handler"},
		ManualApproval: &manual,
		Staging: spec.Environment{Deployment: spec.Deployment{
			Custom: &spec.CustomDeployment{Type: "canary", Percentage: 50, IntervalMinutes: 2}}},
		Production: spec.Environment{
			Deployment: spec.Deployment{Config: "Linear10PercentEvery2Minutes"},
			Alarms: spec.Alarms{ErrorsThreshold: 3, Custom: []spec.CustomAlarm{
				{Name: "concurrency", MetricName: "ConcurrentExecutions", Statistic: "Maximum", Threshold: &threshold}}},
		},
		LogRetentionDays: 90,
	}.WithDefaults()
	services, err := Load([]File{{Name: "payments.yaml", Data: []byte(doc)}})
	if err != nil {
		t.Fatal(err)
	}
	if got := services[0]; !reflect.DeepEqual(got, want) {
		t.Errorf("payments.yaml loads as\n%+v\nwant\n%+v", got, want)
	}
}

func TestAnchorsAndFlowStyleWork(t *testing.T) {
	doc := `name: anchors
lambda: {runtime: nodejs22.x, handler: index.handler}
staging:
  alarms: &alarms
    errorsThreshold: 4
production:
  alarms: *alarms
`
	services, err := Load([]File{{Name: "anchors.yaml", Data: []byte(doc)}})
	if err != nil {
		t.Fatal(err)
	}
	if services[0].Stage("production").Alarms.ErrorsThreshold != 4 {
		t.Errorf("alias not followed: %+v", services[0].Stage("production").Alarms)
	}
}

func TestNoDefinitionsIsAnError(t *testing.T) {
	_, err := Load(nil)
	if err == nil || !strings.Contains(err.Error(), "no service definitions") {
		t.Errorf("got %v", err)
	}
}

// Every entry of the definitions folder is accounted for: a definition, one of the package's
// own files, or a problem; one bad entry does not hide the problems of the others.
func TestEveryFileIsAccountedFor(t *testing.T) {
	orders := "name: orders\nlambda: {runtime: nodejs22.x, handler: index.handler}\n"
	fsys := fstest.MapFS{
		"orders.yaml":           {Data: []byte(orders)},
		"inventory.yml":         {Data: []byte("name: inventory\n")},
		"billing.YAML":          {Data: []byte("name: billing\n")},
		"x.yaml/old.yaml":       {Data: []byte("name: x\n")},
		"archive/payments.yaml": {Data: []byte("name: payments\n")},
		"pipelines.go":          {Data: []byte("package pipelines\n")},
		"service.schema.json":   {Data: []byte("{}")},
		"testdata/fuzz/seed":    {Data: []byte("x")},
		"notes.markdown":        {Data: []byte("# notes\n")},
		"search.yaml":           {Data: []byte("name: search\nlambda: {runtime: nodejs22.x, handler: index.handler, memoryMiB: 01}\n")},
	}
	_, err := LoadFS(fsys, ".", "pipelines", NotDefinitions...)
	want := []string{
		"pipelines/archive: is a folder: definitions are read from the top of the folder only",
		"pipelines/billing.YAML: is not read: definitions end in .yaml; fix: rename it to pipelines/billing.yaml",
		"pipelines/inventory.yml: is not read: definitions end in .yaml; fix: rename it to pipelines/inventory.yaml",
		"pipelines/notes.markdown: is not a service definition",
		"pipelines/search.yaml:2:55: lambda.memoryMiB: 1 MiB is out of range; fix: use 128 to 10240",
		"pipelines/x.yaml: is a folder, not a definition file",
	}
	ps, _ := err.(Problems)
	if len(ps) != len(want) {
		t.Errorf("want %d problems, got %v", len(want), err)
	}
	for i, w := range want {
		if i >= len(ps) || !strings.HasPrefix(ps[i].String(), w) {
			t.Errorf("problem %d: want %q, got %v", i, w, err)
		}
	}
	for _, name := range []string{"inventory.yml", "billing.YAML", "x.yaml/old.yaml", "archive/payments.yaml", "notes.markdown", "search.yaml"} {
		delete(fsys, name)
	}
	if services, err := LoadFS(fsys, ".", "pipelines", NotDefinitions...); err != nil || len(services) != 1 {
		t.Errorf("the package's own files are not definitions: %v", err)
	}
	if _, err := LoadFS(fsys, ".", "pipelines"); err == nil || !strings.Contains(err.Error(), "pipelines/pipelines.go: is not a service definition") {
		t.Errorf("a file nobody declared is not reported: %v", err)
	}
}
