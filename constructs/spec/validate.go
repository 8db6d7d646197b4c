package spec

import (
	"fmt"
	"maps"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strings"
)

// Problem is one thing wrong with a service definition.
type Problem struct {
	Service string // the service name as written (may be empty)
	Field   string // the field path, e.g. "production.deployment.config"
	What    string // what is wrong
	Fix     string // how to fix it
}

func (p Problem) String() string {
	return fmt.Sprintf("service %q: %s: %s; fix: %s", p.Service, p.Field, p.What, p.Fix)
}

// Problems is every problem found in one or more definitions. It is the error Validate returns.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return fmt.Sprintf("%d problem(s) in the service definitions:\n  %s", len(ps), strings.Join(lines, "\n  "))
}

var (
	serviceNameRE = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	repoNameRE    = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)
	envVarRE      = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	alarmNameRE   = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)
	handlerRE     = regexp.MustCompile(`^[^\s]{1,128}$`)
	percentileRE  = regexp.MustCompile(`^p(\d{1,2}(\.\d{1,2})?|100)$`)
)

// Range is the inclusive range of a whole-number field; Max 0 means no upper bound.
type Range struct{ Min, Max int }

// Ranges are the limits of the whole-number fields, by the field's name in its struct (the
// YAML key). Validation and the JSON Schema both take them from here.
var Ranges = map[string]Range{
	"Lambda.memoryMiB":                 {128, 10240},
	"Lambda.timeoutSeconds":            {1, 900},
	"Build.timeoutMinutes":             {5, maxCodeBuildMinutes},
	"IntegrationTest.timeoutMinutes":   {5, maxCodeBuildMinutes},
	"CustomDeployment.percentage":      {1, 99},
	"CustomDeployment.intervalMinutes": {1, 2880},
	"Alarms.errorsThreshold":           {1, 0},
	"Alarms.throttlesThreshold":        {1, 0},
	"Alarms.p99DurationMillis":         {1, 900000},
	"CustomAlarm.periodSeconds":        {60, 86400},
	"CustomAlarm.evaluationPeriods":    {1, 10},
}

// inRange checks a whole-number field against Ranges.
func (v *validator) inRange(field, key string, value int, unit string) bool {
	r := Ranges[key]
	if value >= r.Min && (r.Max == 0 || value <= r.Max) {
		return true
	}
	limit := fmt.Sprintf("use %d to %d", r.Min, r.Max)
	if r.Max == 0 {
		limit = fmt.Sprintf("use %d or more", r.Min)
	}
	v.add(field, fmt.Sprintf("%d%s is out of range", value, unit), limit)
	return false
}

// ReservedEnvironment are the variables Lambda sets itself; a function cannot set them.
var ReservedEnvironment = []string{"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
	"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE",
	"AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
	"AWS_SESSION_TOKEN", "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "TZ"}

// LogRetentionDays are CloudWatch Logs' retention periods.
var LogRetentionDays = logRetentionDays

var (
	logRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
	computeTypes     = []string{"SMALL", "MEDIUM", "LARGE", "X2_LARGE"}
	statistics       = []string{"Sum", "Average", "Minimum", "Maximum", "SampleCount"}
	comparisons      = []string{">=", ">", "<=", "<"}
)

// Validate checks one service definition after WithDefaults and returns every problem found,
// or nil. It never stops at the first problem.
func (s Service) Validate() error {
	v := &validator{service: s.Name}
	switch {
	case s.Name == "":
		v.add("name", "is missing", `name the service, e.g. name: "orders"`)
	case !ValidName(s.Name):
		v.add("name", fmt.Sprintf("%q is not a valid service name", s.Name),
			"use 2-28 lowercase letters, digits and single hyphens, starting with a letter (it prefixes stack, function and parameter names)")
	}
	// The repository defaults to the name: when the name is the problem, it is reported once.
	nameOK := ValidName(s.Name)
	if (nameOK || s.Repository != s.Name) && (!repoNameRE.MatchString(s.Repository) || strings.HasSuffix(s.Repository, ".git")) {
		v.add("repository", fmt.Sprintf("%q is not a valid CodeCommit repository name", s.Repository),
			"use 1-100 letters, digits, '.', '_' or '-', not ending in .git")
	}
	if !validBranch(s.Branch) {
		v.add("branch", fmt.Sprintf("%q is not a valid git branch name", s.Branch),
			"use a branch name such as main or release/1.x: no spaces, '..', '~^:?*[\\' or leading '-'")
	}
	if s.IsContainer() {
		if !reflect.DeepEqual(s.Lambda, Lambda{}) {
			v.add("lambda", "is set on a container service", "remove lambda: a service is a function or a container, not both")
		}
		v.container(*s.Container)
		v.containerBuild(s.Build)
	} else {
		v.lambda(s.Lambda)
		_, runtimeKnown := SupportedRuntimes[s.Lambda.Runtime]
		v.build(s.Build, runtimeKnown)
	}
	v.integrationTest(s.IntegrationTest)
	if !slices.Contains(logRetentionDays, s.LogRetentionDays) {
		v.add("logRetentionDays", fmt.Sprintf("%d is not a CloudWatch Logs retention period", s.LogRetentionDays),
			"use one of "+joinInts(logRetentionDays))
	}
	v.notifications(s.Notifications)
	for _, env := range s.Environments() {
		if s.IsContainer() {
			v.containerEnvironment(env.Name, *env.Environment)
		} else {
			v.environment(env.Name, *env.Environment, s.Lambda.TimeoutSeconds)
		}
	}
	if s.IsContainer() {
		v.testTrafficHooks(s.Environments())
	}
	if len(v.problems) == 0 {
		return nil
	}
	return v.problems
}

// ValidName reports whether name is a valid service name.
func ValidName(name string) bool {
	return len(name) >= 2 && len(name) <= 28 && serviceNameRE.MatchString(name)
}

// ValidateAll checks every service and that no two share a name, and returns all problems.
func ValidateAll(services []Service) error {
	var all Problems
	seen := map[string]int{}
	for i, s := range services {
		if err := s.Validate(); err != nil {
			all = append(all, err.(Problems)...)
		}
		if first, ok := seen[s.Name]; ok && s.Name != "" {
			all = append(all, Problem{Service: s.Name, Field: "name",
				What: fmt.Sprintf("is used by definitions %d and %d", first+1, i+1),
				Fix:  "give every service a unique name"})
		} else {
			seen[s.Name] = i
		}
	}
	if len(all) == 0 {
		return nil
	}
	return all
}

type validator struct {
	service  string
	problems Problems
}

func (v *validator) add(field, what, fix string) {
	v.problems = append(v.problems, Problem{Service: v.service, Field: field, What: what, Fix: fix})
}

func (v *validator) lambda(l Lambda) {
	if _, ok := SupportedRuntimes[l.Runtime]; !ok {
		what := fmt.Sprintf("runtime %q is not supported", l.Runtime)
		if l.Runtime == "" {
			what = "runtime is missing"
		}
		v.add("lambda.runtime", what, "use one of "+strings.Join(slices.Sorted(maps.Keys(SupportedRuntimes)), ", ")+DidYouMean(l.Runtime, slices.Sorted(maps.Keys(SupportedRuntimes))))
	}
	if l.Handler == "" {
		v.add("lambda.handler", "is missing", `name the handler inside the package, e.g. "index.handler"`)
	} else if !handlerRE.MatchString(l.Handler) {
		v.add("lambda.handler", fmt.Sprintf("%q is not a handler", l.Handler), `name the handler inside the package, e.g. "index.handler"`)
	}
	v.inRange("lambda.memoryMiB", "Lambda.memoryMiB", l.MemoryMiB, " MiB")
	v.inRange("lambda.timeoutSeconds", "Lambda.timeoutSeconds", l.TimeoutSeconds, " s")
	for _, k := range slices.Sorted(maps.Keys(l.Environment)) {
		switch {
		case !envVarRE.MatchString(k):
			v.add("lambda.environment."+k, "is not a usable environment variable name",
				"use letters, digits and '_', starting with a letter or '_'")
		case slices.Contains(ReservedEnvironment, k):
			v.add("lambda.environment."+k, "is reserved: Lambda sets it itself",
				"use another name (reserved: "+strings.Join(ReservedEnvironment, ", ")+")")
		}
	}
	v.secrets("lambda", l.Environment, l.Secrets, func(k string) (string, string) {
		for _, suffix := range []string{"_SECRET_ARN", "_PARAMETER_NAME"} {
			if _, ok := l.Environment[k+suffix]; ok {
				return "would set " + k + suffix + ", which lambda.environment sets too", "rename one of them"
			}
		}
		return "", ""
	})
}

// build checks the build settings. Without a known runtime the command and directory defaults
// are missing too; only the runtime is reported then, not its consequences.
func (v *validator) build(b Build, runtimeKnown bool) {
	for _, f := range []struct {
		field string
		cmds  []string
	}{{"build.install", b.Install}, {"build.test", b.Test}, {"build.package", b.Package}} {
		if len(f.cmds) == 0 && runtimeKnown {
			v.add(f.field, "has no commands", "give at least one command (the runtime has no default)")
		}
		v.commands(f.field, f.cmds)
	}
	if runtimeKnown || b.PackageDir != "" {
		v.relDir("build.packageDir", b.PackageDir)
	}
	v.relDir("build.reportDir", b.ReportDir)
	if !slices.Contains(computeTypes, b.ComputeType) {
		v.add("build.computeType", fmt.Sprintf("%q is not a CodeBuild compute type", b.ComputeType),
			"use one of "+strings.Join(computeTypes, ", ")+DidYouMean(b.ComputeType, computeTypes))
	}
	v.inRange("build.timeoutMinutes", "Build.timeoutMinutes", b.TimeoutMinutes, "")
	if strings.TrimSuffix(b.ReportDir, "/") == strings.TrimSuffix(b.PackageDir, "/") && b.ReportDir != "" {
		v.add("build.reportDir", fmt.Sprintf("%q is also the package directory: the test reports would ship in the package", b.ReportDir),
			"use another directory for the reports, e.g. \"reports\"")
	}
}

func (v *validator) integrationTest(t IntegrationTest) {
	v.commands("integrationTest.install", t.Install)
	v.commands("integrationTest.commands", t.Commands)
	if len(t.Install) > 0 && len(t.Commands) == 0 {
		v.add("integrationTest.commands", "is empty while integrationTest.install is set",
			"add the test commands, or remove integrationTest.install")
	}
	v.inRange("integrationTest.timeoutMinutes", "IntegrationTest.timeoutMinutes", t.TimeoutMinutes, "")
}

func (v *validator) commands(field string, cmds []string) {
	for i, c := range cmds {
		if strings.TrimSpace(c) == "" {
			v.add(fmt.Sprintf("%s[%d]", field, i), "is an empty command", "remove it or write the command")
		}
	}
}

func (v *validator) relDir(field, dir string) {
	clean := strings.TrimSuffix(dir, "/")
	if clean == "" || clean == "." || strings.HasPrefix(clean, "/") || slices.Contains(strings.Split(clean, "/"), "..") ||
		strings.ContainsAny(clean, " \t\n\"'$`\\*?") {
		v.add(field, fmt.Sprintf("%q is not a directory inside the source", dir),
			`use a relative path without spaces, quotes, '..' or glob characters, e.g. "dist"`)
	}
}

func (v *validator) environment(name string, e Environment, timeoutSeconds int) {
	v.deployment(name, e.Deployment, PredefinedConfigs, "Lambda", LambdaConfigPrefix, MaxLambdaShiftMinutes(e.LambdaHookCount()))
	a := e.Alarms
	v.onlyFor(name+".alarms", "a container service", map[string]int{"target5xxThreshold": a.Target5xxThreshold,
		"loadBalancer5xxThreshold": a.LoadBalancer5xxThreshold, "unhealthyHostsThreshold": a.UnhealthyHostsThreshold,
		"p99LatencyMillis": a.P99LatencyMillis})
	v.onlyForHooks(name+".hooks", "a container service", map[string]string{"beforeInstall": e.Hooks.BeforeInstall,
		"afterInstall": e.Hooks.AfterInstall, "afterAllowTestTraffic": e.Hooks.AfterAllowTestTraffic,
		"beforeAllowTraffic": e.Hooks.BeforeAllowTraffic, "afterAllowTraffic": e.Hooks.AfterAllowTraffic})
	v.inRange(name+".alarms.errorsThreshold", "Alarms.errorsThreshold", a.ErrorsThreshold, " errors a minute")
	v.inRange(name+".alarms.throttlesThreshold", "Alarms.throttlesThreshold", a.ThrottlesThreshold, " throttles a minute")
	// The p99 threshold is checked against the timeout only when the timeout itself is valid
	// (otherwise the timeout is the problem, reported once).
	timeoutOK := timeoutSeconds >= 1 && timeoutSeconds <= Ranges["Lambda.timeoutSeconds"].Max
	if timeoutOK && (a.P99DurationMillis < 1 || a.P99DurationMillis > timeoutSeconds*1000) {
		v.add(name+".alarms.p99DurationMillis", fmt.Sprintf("%d ms cannot fire for a %d s timeout", a.P99DurationMillis, timeoutSeconds),
			fmt.Sprintf("use 1 to %d (the function timeout in milliseconds)", timeoutSeconds*1000))
	}
	names := map[string]bool{}
	for _, n := range lambdaDefaultAlarms {
		names[n] = true
	}
	for i, c := range a.Custom {
		v.customAlarm(fmt.Sprintf("%s.alarms.custom[%d]", name, i), c, names, true)
	}
	if e.Hooks.PreTraffic != "" && !handlerRE.MatchString(e.Hooks.PreTraffic) {
		v.add(name+".hooks.preTraffic", fmt.Sprintf("%q is not a handler", e.Hooks.PreTraffic), `name a handler in the package, e.g. "hooks.preTraffic"`)
	}
	if e.Hooks.PostTraffic != "" && !handlerRE.MatchString(e.Hooks.PostTraffic) {
		v.add(name+".hooks.postTraffic", fmt.Sprintf("%q is not a handler", e.Hooks.PostTraffic), `name a handler in the package, e.g. "hooks.postTraffic"`)
	}
}

// deployment checks an environment's deployment: a predefined config of the runtime's list or
// a custom shift, and the acknowledgement of a large production step.
func (v *validator) deployment(env string, d Deployment, list []PredefinedConfig, runtime, prefix string, maxShift int) {
	field := env + ".deployment"
	switch {
	case d.Custom != nil && d.Config != "":
		v.add(field, "sets both config and custom", "keep one: a predefined config name or a custom shift")
	case d.Custom != nil:
		v.customShift(field, d, maxShift)
	default:
		v.predefinedConfig(field+".config", d.Config, list, runtime, prefix)
	}
	v.acknowledgement(env, d)
}

// customShift checks a custom canary or linear shift. A Lambda environment's shift must also
// fit in the deploy project's CodeBuild timeout (maxShift > 0).
func (v *validator) customShift(field string, d Deployment, maxShift int) {
	c := d.Custom
	if c.Type != "canary" && c.Type != "linear" {
		v.add(field+".custom.type", fmt.Sprintf("%q is not a traffic shift type", c.Type), `use "canary" or "linear"`)
	}
	v.inRange(field+".custom.percentage", "CustomDeployment.percentage", c.Percentage, "")
	intervalOK := v.inRange(field+".custom.intervalMinutes", "CustomDeployment.intervalMinutes", c.IntervalMinutes, "")
	if intervalOK && maxShift > 0 && d.ShiftMinutes() > maxShift {
		v.add(field+".custom", fmt.Sprintf("the shift takes %d minutes, longer than the pipeline can wait (%d)", d.ShiftMinutes(), maxShift),
			"use fewer steps or shorter intervals")
	}
}

// acknowledgement requires acknowledgeAllAtOnce exactly when production shifts more than half
// of its traffic in the first step: AllAtOnce, or a custom canary above 50%.
func (v *validator) acknowledgement(env string, d Deployment) {
	field := env + ".deployment"
	if d.Custom != nil && (d.Custom.Percentage < 1 || d.Custom.Percentage > 99) {
		return // the percentage itself is the problem
	}
	first := 10 // every predefined config but the all-at-once ones starts with 10%
	switch {
	case d.Custom != nil:
		first = d.Custom.Percentage // a canary's first step, or every step of a linear shift
	case d.Config == "AllAtOnce" || d.Config == "ECSAllAtOnce":
		first = 100
	}
	risky := env == "production" && first > 50
	switch {
	case risky && !d.AcknowledgeAllAtOnce:
		v.add(field, fmt.Sprintf("production moves %d%% of its callers to a new version at once, before the alarms can stop a bad release", first),
			"use a canary or linear shift of at most 50% a step, or set "+field+".acknowledgeAllAtOnce: true to accept the risk")
	case !risky && d.AcknowledgeAllAtOnce:
		v.add(field+".acknowledgeAllAtOnce", "acknowledges a risk this deployment does not take",
			"remove it: it is only for production shifts of more than 50% in one step")
	}
}

// predefinedConfig checks a predefined deployment config name against a runtime's list.
func (v *validator) predefinedConfig(field, config string, list []PredefinedConfig, runtime, prefix string) {
	names := make([]string, len(list))
	for i, c := range list {
		names[i] = c.Name
		if c.Name == config {
			return
		}
	}
	v.add(field, fmt.Sprintf("%q is not a predefined %s deployment config", config, runtime),
		"use one of "+strings.Join(names, ", ")+" or a custom shift"+DidYouMean(strings.TrimPrefix(config, prefix), names))
}

// onlyFor reports settings that only a service of another runtime uses.
func (v *validator) onlyFor(field, runtime string, values map[string]int) {
	for _, k := range slices.Sorted(maps.Keys(values)) {
		if values[k] != 0 {
			v.add(field+"."+k, "applies only to "+runtime, "remove it")
		}
	}
}

func (v *validator) onlyForHooks(field, runtime string, values map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(values)) {
		if values[k] != "" {
			v.add(field+"."+k, "is a hook of "+runtime+": this runtime cannot run it", "remove it, or use this runtime's hooks")
		}
	}
}

// customAlarm checks one of the service's own alarms; lambda says whether the service is a
// Lambda service (whose AWS/Lambda metrics are measured on the live alias).
func (v *validator) customAlarm(field string, c CustomAlarm, names map[string]bool, lambda bool) {
	switch {
	case !alarmNameRE.MatchString(c.Name):
		v.add(field+".name", fmt.Sprintf("%q is not an alarm name", c.Name), "use 1-64 letters, digits and hyphens")
	case names[strings.ToLower(c.Name)]:
		v.add(field+".name", fmt.Sprintf("%q is used twice (or by a default alarm)", c.Name), "give every alarm of the environment its own name")
	default:
		names[strings.ToLower(c.Name)] = true
	}
	if c.MetricName == "" {
		v.add(field+".metricName", "is missing", `name the metric, e.g. "ConcurrentExecutions"`)
	}
	if lambda && c.Namespace == "AWS/Lambda" && len(c.Dimensions) > 0 {
		v.add(field+".dimensions", "are set on an AWS/Lambda metric, which is always measured on the live alias",
			"remove dimensions, or use the metric's own namespace")
	}
	if c.Threshold == nil {
		v.add(field+".threshold", "is missing", "set the value the statistic is compared with")
	} else if math.IsNaN(*c.Threshold) || math.IsInf(*c.Threshold, 0) {
		v.add(field+".threshold", fmt.Sprintf("%v is not a number an alarm can compare with", *c.Threshold), "use a finite number")
	}
	for _, k := range slices.Sorted(maps.Keys(c.Dimensions)) {
		if k == "" || c.Dimensions[k] == "" {
			v.add(field+".dimensions."+k, "has an empty name or value", "give every dimension a name and a value")
		}
	}
	if !slices.Contains(statistics, c.Statistic) && !percentileRE.MatchString(c.Statistic) {
		v.add(field+".statistic", fmt.Sprintf("%q is not a statistic", c.Statistic),
			"use Sum, Average, Minimum, Maximum, SampleCount or a percentile like p99"+DidYouMean(c.Statistic, statistics))
	}
	if !slices.Contains(comparisons, c.Comparison) {
		v.add(field+".comparison", fmt.Sprintf("%q is not a comparison", c.Comparison), "use >=, >, <= or <")
	}
	periodOK := v.inRange(field+".periodSeconds", "CustomAlarm.periodSeconds", c.PeriodSeconds, " s")
	if periodOK && c.PeriodSeconds%60 != 0 {
		v.add(field+".periodSeconds", fmt.Sprintf("%d is not a whole number of minutes", c.PeriodSeconds), "use 60 or a multiple of 60")
	}
	if v.inRange(field+".evaluationPeriods", "CustomAlarm.evaluationPeriods", c.EvaluationPeriods, "") && periodOK &&
		c.PeriodSeconds*c.EvaluationPeriods > 86400 {
		v.add(field+".evaluationPeriods", fmt.Sprintf("%d periods of %d s need more than a day of data", c.EvaluationPeriods, c.PeriodSeconds),
			"an alarm that guards a deployment must decide within a day: use fewer or shorter periods")
	}
}

// validBranch applies git's rules for reference names (git check-ref-format --branch).
func validBranch(b string) bool {
	if b == "" || b == "@" || strings.HasPrefix(b, "-") || strings.HasSuffix(b, ".") ||
		strings.Contains(b, "..") || strings.Contains(b, "@{") {
		return false
	}
	for _, part := range strings.Split(b, "/") {
		if part == "" || strings.HasPrefix(part, ".") || strings.HasSuffix(part, ".lock") {
			return false
		}
	}
	for _, r := range b {
		if r <= ' ' || r == 0x7f || strings.ContainsRune("~^:?*[\\", r) {
			return false
		}
	}
	return true
}

// DidYouMean suggests the closest candidate when it is close enough to be a likely typo.
func DidYouMean(got string, candidates []string) string {
	best, bestDist := "", len(got)/2+2
	for _, c := range candidates {
		if d := Distance(strings.ToLower(got), strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" || got == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// Distance is the Levenshtein edit distance.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = itoa(x)
	}
	return strings.Join(s, ", ")
}
