// Package policy holds the golden rules: checks on the synthesized CloudFormation templates
// that fail `cdk synth` when a stack is unsafe, whoever built it. They run as a CDK validation
// plugin (awscdk.Validations), after synthesis, on every stack of the app: each violation names
// the rule, the resource's construct path (the CDK maps logical IDs back to constructs) and the
// fix, and a violation makes the synthesis fail (an error, not a warning).
//
// The rules read the templates in Go, not the construct tree through jsii, so they cost
// almost nothing however many stacks the app has.
package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/internal/assembly"
)

// PluginName is the name the validation report gives the golden rules.
const PluginName = "golden-pipelines"

// Rule is one golden rule.
type Rule struct {
	// ID names the rule in the validation report.
	ID string
	// Description says what the rule requires.
	Description string
	// Fix says how to comply.
	Fix string
	// check returns the violations of one template.
	check func(t *Template) []Finding
}

// Finding is one resource that breaks a rule, and what exactly is wrong with it.
type Finding struct {
	LogicalID string
	// Detail says what is wrong, e.g. the offending value.
	Detail string
}

// Template is one synthesized stack template, as internal/assembly reads it, with what the
// rules ask of it.
type Template struct{ *assembly.Template }

// Resource is one template resource.
type Resource = assembly.Resource

// Rules returns every golden rule, in report order.
func Rules() []Rule {
	return rules
}

// Register adds the golden rules to the app: its synthesis fails on any violation.
func Register(app constructs.IConstruct) {
	awscdk.Validations_Of(app).AddPlugins(&plugin{})
}

type plugin struct{}

func (*plugin) Name() *string    { return jsii.String(PluginName) }
func (*plugin) Version() *string { return jsii.String("1") }
func (*plugin) RuleIds() *[]*string {
	ids := make([]*string, len(rules))
	for i, r := range rules {
		ids[i] = jsii.String(r.ID)
	}
	return &ids
}

func (*plugin) Validate(ctx awscdk.IPolicyValidationContext) *awscdk.PolicyValidationPluginReport {
	// Plain Go, no jsii call: the templates are read, parsed and checked by a few workers, each
	// template dropped once checked, so memory holds a few templates at a time, not the app.
	// The template paths in one request (each field of ctx.StackTemplates() would be one
	// round trip to the jsii kernel per stack).
	paths := *ctx.TemplatePaths()
	type result struct {
		path     string
		findings [][]Finding // by rule
		err      error
	}
	results := make([]result, len(paths))
	next := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t, err := readTemplate(*paths[i])
				results[i] = result{path: *paths[i], err: err}
				if err == nil {
					results[i].findings = make([][]Finding, len(rules))
					for ri, r := range rules {
						results[i].findings[ri] = r.check(t)
					}
				}
			}
		}()
	}
	for i := range paths {
		next <- i
	}
	close(next)
	wg.Wait()
	var errs []error
	for _, r := range results {
		errs = append(errs, r.err)
	}
	if err := errors.Join(errs...); err != nil {
		return &awscdk.PolicyValidationPluginReport{Success: jsii.Bool(false), Violations: &[]*awscdk.PolicyViolation{{
			RuleName: jsii.String("readable-template"), Description: jsii.String(err.Error()),
			ViolatingResources: &[]*awscdk.PolicyViolatingResource{}, Severity: jsii.String("fatal"),
		}}}
	}
	// One violation per finding, in rule order, so that the report says what is wrong with each
	// resource.
	violations := []*awscdk.PolicyViolation{}
	for ri, rule := range rules {
		for _, r := range results {
			for _, f := range r.findings[ri] {
				violations = append(violations, &awscdk.PolicyViolation{
					RuleName:    jsii.String(rule.ID),
					Description: jsii.String(rule.Description + " Here: " + f.Detail + "."),
					Fix:         jsii.String(rule.Fix),
					// Fatal, not error: the CDK lets any construct of the app acknowledge an
					// error for the whole app (Validations.acknowledge); a golden rule cannot be
					// switched off.
					Severity: jsii.String("fatal"),
					ViolatingResources: &[]*awscdk.PolicyViolatingResource{{
						ResourceLogicalId: jsii.String(f.LogicalID),
						TemplatePath:      jsii.String(r.path),
						Locations:         jsii.Strings(f.Detail),
					}},
				})
			}
		}
	}
	return &awscdk.PolicyValidationPluginReport{Success: jsii.Bool(len(violations) == 0), Violations: &violations}
}

// readTemplate reads a synthesized template.
func readTemplate(path string) (*Template, error) {
	t, err := assembly.ReadTemplate(path)
	if err != nil {
		return nil, err
	}
	return &Template{t}, nil
}

// render turns a template value into text, intrinsics included: {"Ref": "X"} is <X>,
// {"Fn::GetAtt": ["X", "Arn"]} is <X.Arn>, pseudo parameters <AWS::Region> (as cdk-nag
// writes them), a Fn::Join its joined parts and a Fn::Sub its pattern with its variables
// substituted.
func render(v interface{}) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case map[string]interface{}:
		if ref, ok := x["Ref"].(string); ok {
			return "<" + ref + ">"
		}
		if att, ok := x["Fn::GetAtt"].([]interface{}); ok && len(att) == 2 {
			return fmt.Sprintf("<%v.%v>", att[0], att[1])
		}
		if join, ok := x["Fn::Join"].([]interface{}); ok && len(join) == 2 {
			parts, _ := join[1].([]interface{})
			out := make([]string, len(parts))
			for i, p := range parts {
				out[i] = render(p)
			}
			sep, _ := join[0].(string)
			return strings.Join(out, sep)
		}
		if sub, ok := x["Fn::Sub"]; ok {
			var vars map[string]interface{}
			if l, ok := sub.([]interface{}); ok && len(l) > 0 {
				sub = l[0]
				if len(l) > 1 {
					vars, _ = l[1].(map[string]interface{})
				}
			}
			s, _ := sub.(string)
			pairs := []string{"${!", "${"}
			for k, v := range vars {
				pairs = append(pairs, "${"+k+"}", render(v))
			}
			pairs = append(pairs, "${", "<", "}", ">")
			return strings.NewReplacer(pairs...).Replace(s)
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// fromParameter names the template parameter a value takes something from ("" when none):
// what a parameter holds is not known at synth, so no rule can pass it.
func (t *Template) fromParameter(v interface{}) string {
	switch x := v.(type) {
	case []interface{}:
		for _, e := range x {
			if p := t.fromParameter(e); p != "" {
				return p
			}
		}
	case map[string]interface{}:
		if ref, ok := x["Ref"].(string); ok {
			if _, isParam := t.Parameters[ref]; isParam {
				return ref
			}
		}
		for k, e := range x {
			if k == "Fn::Sub" {
				if s, ok := e.(string); ok {
					e = []interface{}{s}
				}
				if l, ok := e.([]interface{}); ok && len(l) > 0 {
					if pattern, ok := l[0].(string); ok {
						for name := range t.Parameters {
							if strings.Contains(pattern, "${"+name+"}") {
								return name
							}
						}
					}
				}
			}
			if p := t.fromParameter(e); p != "" {
				return p
			}
		}
	}
	return ""
}

// list returns a value that may be a single item or a list as a list.
func list(v interface{}) []interface{} {
	switch x := v.(type) {
	case nil:
		return nil
	case []interface{}:
		return x
	default:
		return []interface{}{x}
	}
}

// get walks a path of keys into nested maps.
func get(v interface{}, keys ...string) interface{} {
	for _, k := range keys {
		m, ok := v.(map[string]interface{})
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
