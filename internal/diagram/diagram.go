// Package diagram draws every pipeline of a synthesized cloud assembly as a Mermaid flowchart:
// its stages and actions in order and, for each deployment stage, the CodeDeploy deployment
// group it deploys to (its traffic shifting and rollback) and the alarms guarding it. It reads
// the CloudFormation templates, not the service definitions, so the picture shows what the
// stacks deploy.
package diagram

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/golden-pipelines/microservice-pipelines/internal/assembly"
)

// Template is a synthesized template, as internal/assembly reads it.
type Template = *assembly.Template

// Resource is one template resource.
type Resource = assembly.Resource

// Load reads the template of every stack of a cloud assembly directory, by stack artifact ID.
func Load(dir string) (map[string]Template, error) {
	return assembly.Templates(dir)
}

// Run is the diagram command: it draws the pipelines of the cloud assembly in args[0] (default
// cdk.out) to stdout as Markdown and returns the exit code.
func Run(args []string, stdout, stderr io.Writer) int {
	dir := "cdk.out"
	switch len(args) {
	case 0:
	case 1:
		dir = args[0]
	default:
		fmt.Fprintln(stderr, "usage: go run ./cmd/diagram [cloud assembly directory, default cdk.out]")
		return 2
	}
	templates, err := Load(dir)
	if err == nil {
		var md string
		if md, err = Markdown(templates); err == nil {
			fmt.Fprint(stdout, md)
			return 0
		}
	}
	fmt.Fprintln(stderr, "diagram:", err)
	return 1
}

// Pipeline is one pipeline as the templates describe it.
type Pipeline struct {
	Name   string
	Stack  string
	Stages []Stage
}

// Stage is a pipeline stage, its actions in run order, and the deployment groups its actions
// deploy to.
type Stage struct {
	Name        string
	Actions     []Action
	Deployments []Deployment
}

// Action is one action of a stage.
type Action struct {
	Name     string
	RunOrder int
	Provider string
	// Detail says what the action works on: a repository and branch, an image tag, a CodeBuild
	// project, a deployment group.
	Detail string
}

// Deployment is a CodeDeploy deployment group a stage deploys to.
type Deployment struct {
	Group    string
	Strategy string
	Rollback string
	Alarms   []string
}

// Pipelines finds every pipeline in the templates, sorted by name.
func Pipelines(templates map[string]Template) ([]Pipeline, error) {
	var out []Pipeline
	for _, stack := range slices.Sorted(maps.Keys(templates)) {
		t := templates[stack]
		for _, id := range slices.Sorted(maps.Keys(t.Resources)) {
			r := t.Resources[id]
			if r.Type != "AWS::CodePipeline::Pipeline" {
				continue
			}
			p, err := pipeline(templates, stack, r)
			if err != nil {
				return nil, fmt.Errorf("%s/%s: %w", stack, id, err)
			}
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func pipeline(templates map[string]Template, stack string, r Resource) (Pipeline, error) {
	t := templates[stack]
	name, _ := r.Properties["Name"].(string)
	if name == "" {
		name = stack
	}
	p := Pipeline{Name: name, Stack: stack}
	stages, _ := r.Properties["Stages"].([]interface{})
	if len(stages) == 0 {
		return p, fmt.Errorf("pipeline %s has no stages", name)
	}
	for _, s := range stages {
		sm, _ := s.(map[string]interface{})
		stage := Stage{Name: str(sm["Name"])}
		actions, _ := sm["Actions"].([]interface{})
		for _, a := range actions {
			am, _ := a.(map[string]interface{})
			typ, _ := am["ActionTypeId"].(map[string]interface{})
			cfg, _ := am["Configuration"].(map[string]interface{})
			order := 1
			if n, ok := am["RunOrder"].(float64); ok {
				order = int(n)
			}
			act := Action{Name: str(am["Name"]), RunOrder: order, Provider: str(typ["Provider"])}
			switch act.Provider {
			case "CodeCommit":
				act.Detail = fmt.Sprintf("%s@%s", str(cfg["RepositoryName"]), str(cfg["BranchName"]))
			case "ECR":
				act.Detail = fmt.Sprintf("%s:%s", str(cfg["RepositoryName"]), str(cfg["ImageTag"]))
			case "Manual":
				act.Detail = "approval"
			case "InspectorScan":
				// The severities that may have no finding: the release stops on any of them.
				var none []string
				for _, sev := range []string{"Critical", "High", "Medium", "Low"} {
					if n, ok := cfg[sev+"Threshold"].(float64); ok && n == 0 {
						none = append(none, strings.ToLower(sev))
					}
				}
				act.Detail = "image build tag, stops on any " + strings.Join(none, "/") + " finding"
			case "CodeBuild":
				project, ok := t.Resources[ref(cfg["ProjectName"])]
				if !ok {
					return p, fmt.Errorf("action %s/%s: no CodeBuild project %v", stage.Name, act.Name, cfg["ProjectName"])
				}
				act.Detail = str(project.Properties["Name"])
				// A Lambda deploy step moves a release parameter and updates the stack it names
				// (a container's prepare step names its stack too, but CodeDeployToECS deploys).
				if target := environmentVariable(project, "STACK_NAME"); target != "" && environmentVariable(project, "RELEASE_PARAMETER") != "" {
					ds, err := deployments(templates, target, "")
					if err != nil {
						return p, err
					}
					stage.Deployments = append(stage.Deployments, ds...)
				}
			case "CodeDeployToECS", "CodeDeploy":
				group := str(cfg["DeploymentGroupName"])
				act.Detail = group
				d, err := findGroup(templates, str(cfg["ApplicationName"]), group)
				if err != nil {
					return p, err
				}
				stage.Deployments = append(stage.Deployments, d)
			}
			stage.Actions = append(stage.Actions, act)
		}
		sort.SliceStable(stage.Actions, func(i, j int) bool { return stage.Actions[i].RunOrder < stage.Actions[j].RunOrder })
		p.Stages = append(p.Stages, stage)
	}
	return p, nil
}

// findGroup finds the deployment group of an application in any template.
func findGroup(templates map[string]Template, application, group string) (Deployment, error) {
	for _, stack := range slices.Sorted(maps.Keys(templates)) {
		ds, err := deployments(templates, stack, group)
		if err != nil {
			return Deployment{}, err
		}
		for _, d := range ds {
			if d.Group == group && appName(templates[stack], group) == application {
				return d, nil
			}
		}
	}
	return Deployment{}, fmt.Errorf("no template holds CodeDeploy deployment group %s of application %s", group, application)
}

// appName is the application of a template's deployment group.
func appName(t Template, group string) string {
	for _, r := range t.Resources {
		if r.Type == "AWS::CodeDeploy::DeploymentGroup" && str(r.Properties["DeploymentGroupName"]) == group {
			if app, ok := t.Resources[ref(r.Properties["ApplicationName"])]; ok {
				return str(app.Properties["ApplicationName"])
			}
			return str(r.Properties["ApplicationName"])
		}
	}
	return ""
}

// deployments describes the deployment groups of one stack (only the one named group, if
// group is not empty).
func deployments(templates map[string]Template, stack, group string) ([]Deployment, error) {
	t, ok := templates[stack]
	if !ok {
		return nil, fmt.Errorf("no template of stack %s", stack)
	}
	var out []Deployment
	for _, id := range slices.Sorted(maps.Keys(t.Resources)) {
		r := t.Resources[id]
		if r.Type != "AWS::CodeDeploy::DeploymentGroup" || (group != "" && str(r.Properties["DeploymentGroupName"]) != group) {
			continue
		}
		d := Deployment{Group: str(r.Properties["DeploymentGroupName"]), Strategy: strategy(t, r)}
		if rb, ok := r.Properties["AutoRollbackConfiguration"].(map[string]interface{}); ok && rb["Enabled"] == true {
			var on []string
			events, _ := rb["Events"].([]interface{})
			for _, e := range events {
				on = append(on, map[string]string{"DEPLOYMENT_FAILURE": "failure", "DEPLOYMENT_STOP_ON_REQUEST": "stop",
					"DEPLOYMENT_STOP_ON_ALARM": "alarm"}[str(e)])
			}
			d.Rollback = "rolls back on " + strings.Join(on, ", ")
		}
		if ac, ok := r.Properties["AlarmConfiguration"].(map[string]interface{}); ok && ac["Enabled"] == true {
			alarms, _ := ac["Alarms"].([]interface{})
			for _, a := range alarms {
				am, _ := a.(map[string]interface{})
				name := str(am["Name"])
				if alarm, ok := t.Resources[ref(am["Name"])]; ok {
					name = str(alarm.Properties["AlarmName"])
				}
				if name == "" {
					return nil, fmt.Errorf("%s/%s: an alarm without a name", stack, id)
				}
				d.Alarms = append(d.Alarms, name)
			}
		}
		out = append(out, d)
	}
	return out, nil
}

// strategy describes how a deployment group shifts traffic: a predefined configuration by name,
// or a custom one from its template resource.
func strategy(t Template, dg Resource) string {
	var config Resource
	name, isName := dg.Properties["DeploymentConfigName"].(string)
	if c, ok := t.Resources[ref(dg.Properties["DeploymentConfigName"])]; ok {
		config, isName = c, false
	} else {
		for _, r := range t.Resources {
			if r.Type == "AWS::CodeDeploy::DeploymentConfig" && isName && str(r.Properties["DeploymentConfigName"]) == name {
				config, isName = r, false
			}
		}
	}
	s := name
	if !isName {
		s = "custom: " + traffic(config)
	}
	if bg, ok := dg.Properties["BlueGreenDeploymentConfiguration"].(map[string]interface{}); ok {
		if term, ok := bg["TerminateBlueInstancesOnDeploymentSuccess"].(map[string]interface{}); ok {
			s += fmt.Sprintf(", blue/green, blue tasks kept %v min", term["TerminationWaitTimeInMinutes"])
		}
	}
	return s
}

func traffic(config Resource) string {
	routing, _ := config.Properties["TrafficRoutingConfig"].(map[string]interface{})
	switch str(routing["Type"]) {
	case "TimeBasedCanary":
		c, _ := routing["TimeBasedCanary"].(map[string]interface{})
		return fmt.Sprintf("canary %v%%, the rest %v min later", c["CanaryPercentage"], c["CanaryInterval"])
	case "TimeBasedLinear":
		l, _ := routing["TimeBasedLinear"].(map[string]interface{})
		return fmt.Sprintf("linear %v%% every %v min", l["LinearPercentage"], l["LinearInterval"])
	case "AllAtOnce":
		return "all at once"
	}
	return "unknown traffic routing"
}

func environmentVariable(project Resource, name string) string {
	env, _ := project.Properties["Environment"].(map[string]interface{})
	vars, _ := env["EnvironmentVariables"].([]interface{})
	for _, v := range vars {
		vm, _ := v.(map[string]interface{})
		if str(vm["Name"]) == name {
			return str(vm["Value"])
		}
	}
	return ""
}

// ref returns the logical ID of a {"Ref": id}, or "".
func ref(v interface{}) string {
	m, _ := v.(map[string]interface{})
	return str(m["Ref"])
}

func str(v interface{}) string {
	s, _ := v.(string)
	return s
}

// Markdown draws every pipeline: a heading and a Mermaid flowchart each.
func Markdown(templates map[string]Template) (string, error) {
	pipelines, err := Pipelines(templates)
	if err != nil {
		return "", err
	}
	if len(pipelines) == 0 {
		return "", fmt.Errorf("the templates hold no pipeline")
	}
	var b strings.Builder
	for i, p := range pipelines {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "#### %s (stack %s)\n\n```mermaid\n%s```\n", p.Name, p.Stack, Mermaid(p))
	}
	return b.String(), nil
}

// Mermaid draws one pipeline: its stages left to right, each with its actions (run order,
// name, provider, what it works on); under a deployment stage its deployment group (traffic
// shifting, blue/green, rollback) and the alarms that stop and roll the deployment back.
func Mermaid(p Pipeline) string {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	for i, s := range p.Stages {
		lines := []string{s.Name}
		for _, a := range s.Actions {
			lines = append(lines, fmt.Sprintf("%d. %s: %s %s", a.RunOrder, a.Name, a.Provider, a.Detail))
		}
		fmt.Fprintf(&b, "  s%d[\"%s\"]\n", i, label(lines))
		for j, d := range s.Deployments {
			fmt.Fprintf(&b, "  s%dd%d[/\"%s\"/]\n", i, j, label([]string{"CodeDeploy " + d.Group, d.Strategy, d.Rollback}))
			fmt.Fprintf(&b, "  s%d -.-> s%dd%d\n", i, i, j)
			if len(d.Alarms) > 0 {
				fmt.Fprintf(&b, "  s%da%d{{\"%s\"}}\n", i, j, label(append([]string{"alarms"}, d.Alarms...)))
				fmt.Fprintf(&b, "  s%da%d -. stop and roll back .-> s%dd%d\n", i, j, i, j)
			}
		}
	}
	for i := 1; i < len(p.Stages); i++ {
		fmt.Fprintf(&b, "  s%d --> s%d\n", i-1, i)
	}
	return b.String()
}

// label joins lines for a Mermaid node label, escaping what Mermaid would read as syntax.
func label(lines []string) string {
	var out []string
	for _, l := range lines {
		if l == "" {
			continue
		}
		l = strings.NewReplacer(`"`, "#quot;", "<", "#lt;", ">", "#gt;").Replace(l)
		out = append(out, l)
	}
	return strings.Join(out, "<br/>")
}
