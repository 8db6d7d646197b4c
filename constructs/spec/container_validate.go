package spec

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

var (
	// ecrRepositoryRE is ECR's repository name rule.
	ecrRepositoryRE = regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$`)
	// ecrTagRE is a docker image tag.
	ecrTagRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]*$`)
	// ecsHookRE: CodeDeploy's managed role for ECS may invoke only CodeDeployHook_* functions.
	ecsHookRE = regexp.MustCompile(`^CodeDeployHook_[A-Za-z0-9_-]+$`)
	// healthPathRE is an absolute URL path without spaces or a query.
	healthPathRE = regexp.MustCompile(`^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$`)
)

func init() {
	for k, r := range map[string]Range{
		"Container.port":                   {1, 65535},
		"Container.desiredCount":           {1, 100},
		"Container.listenerPort":           {1, 65535},
		"Container.testListenerPort":       {1, 65535},
		"Container.keepImages":             {2, 1000},
		"Container.terminationWaitMinutes": {1, 2880},
		"Alarms.target5xxThreshold":        {1, 0},
		"Alarms.loadBalancer5xxThreshold":  {1, 0},
		"Alarms.unhealthyHostsThreshold":   {1, 0},
		"Alarms.p99LatencyMillis":          {1, 60000},
		// Validation checks these against FargateMemory; the range is what editors show.
		"Container.cpu":       {256, 4096},
		"Container.memoryMiB": {512, 30720},
	} {
		Ranges[k] = r
	}
}

func (v *validator) container(s Service) {
	c := *s.Container
	v.inRange("container.port", "Container.port", c.Port, "")
	v.inRange("container.desiredCount", "Container.desiredCount", c.DesiredCount, " tasks")
	listenerOK := v.inRange("container.listenerPort", "Container.listenerPort", c.ListenerPort, "")
	testOK := v.inRange("container.testListenerPort", "Container.testListenerPort", c.TestListenerPort, "")
	if listenerOK && testOK && c.ListenerPort == c.TestListenerPort {
		v.add("container.testListenerPort", fmt.Sprintf("the production and test listeners both use port %d", c.TestListenerPort),
			"give container.listenerPort and container.testListenerPort different ports (defaults 80 and 9000)")
	}
	if !slices.Contains(ScanSeverities, c.ScanThreshold) {
		v.add("container.scanThreshold", fmt.Sprintf("%q is not a severity", c.ScanThreshold),
			"use one of "+strings.Join(ScanSeverities, ", ")+DidYouMean(c.ScanThreshold, ScanSeverities))
	}
	v.inRange("container.keepImages", "Container.keepImages", c.KeepImages, " images")
	v.inRange("container.terminationWaitMinutes", "Container.terminationWaitMinutes", c.TerminationWaitMinutes, " minutes")
	if mem, ok := FargateMemory[c.CPU]; !ok {
		v.add("container.cpu", fmt.Sprintf("%d is not a Fargate CPU size", c.CPU), "use 256, 512, 1024, 2048 or 4096")
	} else if c.MemoryMiB < mem[0] || c.MemoryMiB > mem[1] || (c.CPU >= 1024 && c.MemoryMiB%1024 != 0) ||
		(c.CPU < 1024 && c.MemoryMiB != 512 && c.MemoryMiB%1024 != 0) {
		v.add("container.memoryMiB", fmt.Sprintf("%d MiB is not a Fargate memory size for %d CPU units", c.MemoryMiB, c.CPU),
			fmt.Sprintf("use %d to %d MiB in steps of 1024 (or 512 with 256 CPU units)", mem[0], mem[1]))
	}
	if c.HealthCheckPath == "" {
		v.add("container.healthCheckPath", "is empty", `use an absolute path without spaces or a query, e.g. "/health"`)
	}
	v.relFile("container.dockerfile", c.Dockerfile)
	if c.Context != "." {
		v.relDir("container.context", c.Context)
	}
	for _, k := range slices.Sorted(maps.Keys(c.Environment)) {
		switch up := strings.ToUpper(k); {
		case strings.HasPrefix(up, "AWS_") || strings.HasPrefix(up, "ECS_"):
			v.add("container.environment."+k, "uses a prefix ECS and the AWS SDKs reserve", "use a name without the AWS_ or ECS_ prefix")
		case up == "PORT":
			v.add("container.environment."+k, fmt.Sprintf("would override PORT, which the pipeline sets to container.port (%d), the port the load balancer sends traffic to and probes", c.Port),
				"remove it and set container.port instead")
		}
	}
	v.secrets("container", c.Environment, c.Secrets, func(k string) (string, string) {
		if up := strings.ToUpper(k); strings.HasPrefix(up, "AWS_") || strings.HasPrefix(up, "ECS_") || up == "PORT" {
			return "uses a name ECS, the AWS SDKs or the pipeline (PORT) set", "use another name"
		}
		return "", ""
	})
	if b := c.BaseImage; b != nil {
		if b.Repository == "" {
			v.add("container.baseImage.repository", "is missing", "name the ECR repository of the base image, e.g. base-images/node")
		} else if b.Repository == s.RepositoryName() {
			v.add("container.baseImage.repository", fmt.Sprintf("%q is this service's own release repository, not a base image", b.Repository),
				"name the repository of the image the Dockerfile builds on, e.g. base-images/node")
		}
		if b.Tag == "" {
			v.add("container.baseImage.tag", "is empty", `use letters, digits, '.', '_' and '-', e.g. "release"`)
		}
	}
}

// containerBuild checks the build of a container service: the image is the package, and the
// unit tests have no default.
func (v *validator) containerBuild(b Build) {
	if len(b.Test) == 0 {
		v.add("build.test", "has no commands: a container service has no default unit tests",
			"give the commands that run the unit tests and write JUnit XML to $REPORT_DIR")
	}
	v.commands("build.install", b.Install)
	v.commands("build.test", b.Test)
	v.relDir("build.reportDir", b.ReportDir)
	if !slices.Contains(computeTypes, b.ComputeType) {
		v.add("build.computeType", fmt.Sprintf("%q is not a CodeBuild compute type", b.ComputeType),
			"use one of "+strings.Join(computeTypes, ", ")+DidYouMean(b.ComputeType, computeTypes))
	}
	v.inRange("build.timeoutMinutes", "Build.timeoutMinutes", b.TimeoutMinutes, "")
}

// containerStage checks a container service's stage: its deployment, alarms and hooks.
func (v *validator) containerStage(name string, st Stage) {
	// CodeDeployToECS waits for the deployment itself: no CodeBuild timeout bounds the shift.
	v.deployment(name, st.Role, st.Deployment, PredefinedEcsConfigs, "ECS", EcsConfigPrefix, 0)
	a := st.Alarms
	v.inRange(name+".alarms.target5xxThreshold", "Alarms.target5xxThreshold", a.Target5xxThreshold, " responses a minute")
	v.inRange(name+".alarms.loadBalancer5xxThreshold", "Alarms.loadBalancer5xxThreshold", a.LoadBalancer5xxThreshold, " responses a minute")
	v.inRange(name+".alarms.unhealthyHostsThreshold", "Alarms.unhealthyHostsThreshold", a.UnhealthyHostsThreshold, " targets")
	v.inRange(name+".alarms.p99LatencyMillis", "Alarms.p99LatencyMillis", a.P99LatencyMillis, " ms")
	names := map[string]bool{}
	for _, n := range ecsDefaultAlarms {
		names[n] = true
	}
	reservedAlarmNames(names, st)
	for i, c := range a.Custom {
		f := fmt.Sprintf("%s.alarms.custom[%d]", name, i)
		if c.Namespace == "" {
			v.add(f+".namespace", "is missing: a container service's alarms have no default namespace",
				`name the metric's namespace, e.g. "AWS/ApplicationELB" or your own`)
		}
		v.customAlarm(f, c, names, false)
	}
}

// TestTrafficHookEvents are the ECS lifecycle events during which the test listener serves the
// replacement tasks: the hooks that test them there.
var TestTrafficHookEvents = []string{"AfterAllowTestTraffic", "BeforeAllowTraffic"}

// testTrafficHooks requires every stage to test through hook functions of its own in each
// account and region. A test listener is open only to its own VPC's NAT address (the load
// balancer is internet-facing), so a function that tests one stage's replacement tasks runs in
// that stage's VPC and cannot reach another's: one function named for two stages in the same
// account and region would time out, or fail, in all but one of them. (In another account or
// region the same name is another function.)
func (v *validator) testTrafficHooks(s Service) {
	first := map[string]string{} // account/region/function -> the field that named it first
	for i, st := range s.Stages {
		for _, h := range EcsHooks(st.Hooks) {
			if !slices.Contains(TestTrafficHookEvents, h.Event) {
				continue
			}
			field := v.shown(v.stageField(i) + ".hooks." + lowerFirst(h.Event))
			for _, t := range st.AllTargets() {
				key := t.String() + "/" + h.Function
				if other, ok := first[key]; ok && !strings.HasPrefix(other, v.shown(v.stageField(i))+".") {
					v.add(field, fmt.Sprintf("%q is also %s, but each stage's test listener is reachable only from its own VPC", h.Function, other),
						"give each stage its own hook function, deployed in that stage's VPC (its service stack outputs VpcId and PrivateSubnetIds), e.g. CodeDeployHook_"+
							strings.ReplaceAll(v.service, "-", "_")+"_"+strings.ReplaceAll(st.Name, "-", "_")+"_smoke")
					break
				}
				if _, ok := first[key]; !ok {
					first[key] = field
				}
			}
		}
	}
}

// ecsDefaultAlarms are the names (after the service and environment) of a container
// service's default alarms, in the order the service stack creates them; custom alarms may
// not reuse them.
var ecsDefaultAlarms = []string{"target-5xx-blue", "unhealthy-blue", "target-5xx-green", "unhealthy-green", "alb-5xx", "p99-latency"}

// EcsDefaultAlarms returns the names of a container service's default alarms.
func EcsDefaultAlarms() []string { return append([]string(nil), ecsDefaultAlarms...) }

// EcsHook is one ECS lifecycle hook: the appspec event and the function it invokes.
type EcsHook struct{ Event, Function string }

// EcsHooks lists the ECS hooks that are set, in lifecycle order.
func EcsHooks(h Hooks) []EcsHook {
	var out []EcsHook
	for _, x := range []EcsHook{
		{"BeforeInstall", h.BeforeInstall}, {"AfterInstall", h.AfterInstall}, {"AfterAllowTestTraffic", h.AfterAllowTestTraffic},
		{"BeforeAllowTraffic", h.BeforeAllowTraffic}, {"AfterAllowTraffic", h.AfterAllowTraffic},
	} {
		if x.Function != "" {
			out = append(out, x)
		}
	}
	return out
}

func lowerFirst(s string) string { return strings.ToLower(s[:1]) + s[1:] }

// relFile checks a file path inside the source.
func (v *validator) relFile(field, file string) {
	if strings.HasSuffix(file, "/") {
		v.add(field, fmt.Sprintf("%q is a directory", file), `name the file, e.g. "Dockerfile"`)
		return
	}
	v.relDir(field, file)
}
