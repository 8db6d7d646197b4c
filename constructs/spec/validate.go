package spec

import (
	"fmt"
	"maps"
	"math"
	"path"
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
	return fmt.Sprintf("service %q: %s: %s; fix: %s", p.Service, Visible(p.Field), p.What, p.Fix)
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
	envVarRE     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	percentileRE = regexp.MustCompile(`^p(\d{1,2}(\.\d{1,2})?|100)$`)
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
	// Validation checks these against their value lists; the range is what editors show.
	"Service.logRetentionDays": {1, 3653},
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
// or nil. It never stops at the first problem, and reports a problem once: a field that is set
// where it does not apply, or whose text breaks the text policy or its TextRule, is not checked
// again by the checks that follow.
func (s Service) Validate() error {
	v := &validator{service: s.Name, bad: map[string]bool{}, shorthand: s.fromShorthand, home: s.Home}
	if s.Name == "" {
		v.report("name", "is missing", `name the service, e.g. name: "orders"`)
	}
	v.applicability(s)
	v.texts(s)
	if s.Branch == "" {
		v.add("branch", `"" is not a valid git branch name`, TextRules["Service.branch"].Fix)
	}
	v.source(s)
	if s.IsContainer() {
		v.container(s)
		v.containerBuild(s.Build)
	} else {
		v.lambda(s.Lambda)
		_, runtimeKnown := SupportedRuntimes[s.Lambda.Runtime]
		v.build(s.Build, runtimeKnown)
	}
	if !slices.Contains(logRetentionDays, s.LogRetentionDays) {
		v.add("logRetentionDays", fmt.Sprintf("%d is not a CloudWatch Logs retention period", s.LogRetentionDays),
			"use one of "+joinInts(logRetentionDays))
	}
	v.notifications(s.Notifications)
	v.stages(s)
	v.limits(s)
	if len(v.problems) == 0 {
		return nil
	}
	return v.problems
}

// applicability reports the settings the service's runtime does not use: they would be
// silently ignored.
func (v *validator) applicability(s Service) {
	if s.IsContainer() {
		if !reflect.DeepEqual(s.Lambda, Lambda{}) {
			v.report("lambda", "is set on a container service", "remove lambda: a service is a function or a container, not both")
		}
		if len(s.Build.Package) > 0 {
			v.report("build.package", "is set on a container service, whose image is built from its Dockerfile", "remove it")
		}
		if s.Build.PackageDir != "" {
			v.report("build.packageDir", "is set on a container service, whose image is built from its Dockerfile", "remove it")
		}
	}
	for i, st := range s.Stages {
		a, h, field := st.Alarms, st.Hooks, v.stageField(i)
		lambdaAlarms := map[string]int{"errorsThreshold": a.ErrorsThreshold, "throttlesThreshold": a.ThrottlesThreshold,
			"p99DurationMillis": a.P99DurationMillis}
		ecsAlarms := map[string]int{"target5xxThreshold": a.Target5xxThreshold, "loadBalancer5xxThreshold": a.LoadBalancer5xxThreshold,
			"unhealthyHostsThreshold": a.UnhealthyHostsThreshold, "p99LatencyMillis": a.P99LatencyMillis}
		lambdaHooks := map[string]string{"preTraffic": h.PreTraffic, "postTraffic": h.PostTraffic}
		ecsHooks := map[string]string{"beforeInstall": h.BeforeInstall, "afterInstall": h.AfterInstall,
			"afterAllowTestTraffic": h.AfterAllowTestTraffic, "beforeAllowTraffic": h.BeforeAllowTraffic, "afterAllowTraffic": h.AfterAllowTraffic}
		if s.IsContainer() {
			v.onlyFor(field+".alarms", "a Lambda service", lambdaAlarms)
			v.onlyForHooks(field+".hooks", "a Lambda service", lambdaHooks)
		} else {
			v.onlyFor(field+".alarms", "a container service", ecsAlarms)
			v.onlyForHooks(field+".hooks", "a container service", ecsHooks)
		}
	}
}

// ValidName reports whether name is a valid service name.
func ValidName(name string) bool {
	r := TextRules["Service.name"]
	what, _ := r.check(name, false)
	return name != "" && what == ""
}

// ValidateAll checks every service, that no two share a name, and the rules between services
// (CrossServiceProblems), and returns all problems.
func ValidateAll(services []Service) error {
	var all Problems
	seen := map[string]int{}
	var unique []Service
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
			unique = append(unique, s)
		}
	}
	all = append(all, CrossServiceProblems(unique)...)
	if len(all) == 0 {
		return nil
	}
	return all
}

type validator struct {
	service  string
	problems Problems
	// shorthand: the stages came from the two-stage shorthand, so problems name its fields
	// (staging, production, manualApproval, integrationTest).
	shorthand bool
	// bad are the fields already reported by applicability or the text policy: the checks
	// that follow do not report them (or anything inside them) again.
	bad map[string]bool
	// home is the service's own account and region (its parts "" when left to the app).
	home Target
}

// add reports a problem, unless its field (or one it belongs to) is already reported as bad.
func (v *validator) add(field, what, fix string) {
	field = v.shown(field)
	if v.covered(field) {
		return
	}
	v.problems = append(v.problems, Problem{Service: v.service, Field: field, What: what, Fix: fix})
}

// report adds a problem and marks its field bad.
func (v *validator) report(field, what, fix string) {
	v.add(field, what, fix)
	v.bad[v.shown(field)] = true
}

// covered reports whether a field, or a field it belongs to, is marked bad.
func (v *validator) covered(field string) bool {
	for f := v.shown(field); f != ""; {
		if v.bad[f] {
			return true
		}
		i := strings.LastIndexAny(f, ".[")
		if i < 0 {
			return false
		}
		f = f[:i]
	}
	return false
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
	}
	v.inRange("lambda.memoryMiB", "Lambda.memoryMiB", l.MemoryMiB, " MiB")
	v.inRange("lambda.timeoutSeconds", "Lambda.timeoutSeconds", l.TimeoutSeconds, " s")
	for _, k := range slices.Sorted(maps.Keys(l.Environment)) {
		if slices.Contains(ReservedEnvironment, k) {
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
	v.reportsOutsidePackage(b)
}

// reportsOutsidePackage refuses a report directory that is the package directory or inside it,
// however it is spelled (./dist, dist/, dist/reports): the test reports would ship in the
// package.
func (v *validator) reportsOutsidePackage(b Build) {
	if b.ReportDir == "" || b.PackageDir == "" || v.covered("build.reportDir") || v.covered("build.packageDir") {
		return
	}
	report, pkg := path.Clean(b.ReportDir), path.Clean(b.PackageDir)
	switch {
	case report == pkg:
		v.add("build.reportDir", fmt.Sprintf("%q is also the package directory: the test reports would ship in the package", b.ReportDir),
			"use another directory for the reports, e.g. \"reports\"")
	case strings.HasPrefix(report, pkg+"/"):
		v.add("build.reportDir", fmt.Sprintf("%q is inside the package directory %q: the test reports would ship in the package", b.ReportDir, b.PackageDir),
			"use a directory outside the package for the reports, e.g. \"reports\"")
	}
}

func (v *validator) integrationTest(field string, t IntegrationTest) {
	v.commands(field+".install", t.Install)
	v.commands(field+".commands", t.Commands)
	if len(t.Install) > 0 && len(t.Commands) == 0 {
		v.add(field+".commands", "is empty while "+field+".install is set",
			"add the test commands, or remove "+field+".install")
	}
	v.inRange(field+".timeoutMinutes", "IntegrationTest.timeoutMinutes", t.TimeoutMinutes, "")
}

func (v *validator) commands(field string, cmds []string) {
	for i, c := range cmds {
		if strings.TrimSpace(c) == "" {
			v.add(fmt.Sprintf("%s[%d]", field, i), "is an empty command", "remove it or write the command")
		}
	}
}

// relDir checks a directory inside the source: relative, not leaving the source, without the
// characters the shell steps treat specially, and not starting with '-', which mkdir, cd or
// docker build would read as an option.
func (v *validator) relDir(field, dir string) {
	clean := path.Clean(dir)
	if dir == "" || clean == "." || path.IsAbs(clean) || slices.Contains(strings.Split(dir, "/"), "..") ||
		strings.ContainsAny(dir, " \t\n\"'$`\\*?[]{}~;&|<>()!#") {
		v.add(field, fmt.Sprintf("%q is not a directory inside the source", dir),
			`use a relative path of letters, digits and . _ - / (no spaces, quotes, '..', glob or shell characters), e.g. "dist"`)
	} else if strings.HasPrefix(clean, "-") {
		v.add(field, fmt.Sprintf("%q starts with '-': the build steps would pass it to mkdir, cd or docker build as an option", dir),
			`name it without a leading '-', or write it as "./`+clean+`"`)
	}
}

// lambdaStage checks a Lambda service's stage: its deployment, alarms and hooks.
func (v *validator) lambdaStage(name string, st Stage, timeoutSeconds int) {
	v.deployment(name, st.Role, st.Deployment, PredefinedConfigs, "Lambda", LambdaConfigPrefix, MaxLambdaShiftMinutes(st.LambdaHookCount())-st.Bake())
	a := st.Alarms
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
	reservedAlarmNames(names, st)
	for i, c := range a.Custom {
		v.customAlarm(fmt.Sprintf("%s.alarms.custom[%d]", name, i), c, names, true)
	}
}

// deployment checks a stage's deployment: a predefined config of the runtime's list or a custom
// shift, and the acknowledgement of a large production step.
func (v *validator) deployment(stage, role string, d Deployment, list []PredefinedConfig, runtime, prefix string, maxShift int) {
	field := stage + ".deployment"
	switch {
	case d.Custom != nil && d.Config != "":
		v.add(field, "sets both config and custom", "keep one: a predefined config name or a custom shift")
	case d.Custom != nil:
		v.customShift(field, d, maxShift)
	default:
		v.predefinedConfig(field+".config", d.Config, list, runtime, prefix)
	}
	v.acknowledgement(stage, role, d)
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
func (v *validator) acknowledgement(stage, role string, d Deployment) {
	field := stage + ".deployment"
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
	risky := role == RoleProduction && first > 50
	switch {
	case risky && !d.AcknowledgeAllAtOnce:
		v.add(field, fmt.Sprintf("production moves %d%% of its callers to a new version at once, before the alarms can stop a bad release", first),
			"use a canary or linear shift of at most 50% a step, or set "+field+".acknowledgeAllAtOnce: true to accept the risk")
	case !risky && d.AcknowledgeAllAtOnce:
		v.add(field+".acknowledgeAllAtOnce", "acknowledges a risk this deployment does not take",
			"remove it: it is only for a production stage's shifts of more than 50% in one step")
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
			v.report(field+"."+k, "applies only to "+runtime, "remove it")
		}
	}
}

func (v *validator) onlyForHooks(field, runtime string, values map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(values)) {
		if values[k] != "" {
			v.report(field+"."+k, "is a hook of "+runtime+": this runtime cannot run it", "remove it, or use this runtime's hooks")
		}
	}
}

// customAlarm checks one of the service's own alarms; lambda says whether the service is a
// Lambda service (whose AWS/Lambda metrics are measured on the live alias).
func (v *validator) customAlarm(field string, c CustomAlarm, names map[string]bool, lambda bool) {
	switch {
	case c.Name == "":
		v.add(field+".name", "is missing", "name the alarm: 1-64 letters, digits and hyphens")
	case v.covered(field + ".name"):
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
	v.namespace(field+".namespace", c.Namespace)
	switch t := c.Threshold; {
	case t == nil:
		v.add(field+".threshold", "is missing", "set the value the statistic is compared with")
	case math.IsNaN(*t) || math.IsInf(*t, 0):
		v.add(field+".threshold", fmt.Sprintf("%v is not a number an alarm can compare with", *t), "use a finite number")
	case math.Abs(*t) > MaxMetricValue:
		v.add(field+".threshold", fmt.Sprintf("%g is beyond the values CloudWatch stores (-2^360 to 2^360, about ±2.3e108): the alarm could never fire", *t),
			"use a threshold the metric can reach")
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
