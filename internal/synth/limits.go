package synth

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// CloudFormation's limits on a template
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html):
// 500 resources, 200 parameters, 200 outputs, and a template body of at most 1 MB in S3
// ("Template may not exceed 1000000 bytes in size"; cdk deploy uploads every template larger
// than the 51,200 bytes a request may carry). The CDK checks the resources itself (and throws,
// which Run catches); the rest only CloudFormation would find, at deploy time.
const (
	MaxResources     = 500
	MaxParameters    = 200
	MaxOutputs       = 200
	MaxTemplateBytes = 1000000
)

// template is what Check reads of a synthesized template.
type template struct {
	Resources map[string]struct {
		Type       string
		Properties map[string]interface{}
	}
	Parameters map[string]interface{}
	Outputs    map[string]interface{}
}

// Check reads every template of a cloud assembly folder and returns the limits they exceed.
func Check(dir string) (Problems, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.template.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out Problems
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var t template
		if err := json.Unmarshal(b, &t); err != nil {
			return nil, fmt.Errorf("%s: %v", f, err)
		}
		stack := strings.TrimSuffix(filepath.Base(f), ".template.json")
		out = append(out, checkTemplate(stack, len(b), t)...)
	}
	return out, nil
}

func checkTemplate(stack string, size int, t template) Problems {
	var out Problems
	add := func(what, fix string) { out = append(out, Problem{Stack: stack, What: what, Fix: fix}) }
	split := "have fewer services in one app, or fewer subscribers, alarms and commands in the service"
	if n := len(t.Resources); n > MaxResources {
		add(fmt.Sprintf("has %d resources; CloudFormation allows %d a stack", n, MaxResources), split)
	}
	if n := len(t.Parameters); n > MaxParameters {
		add(fmt.Sprintf("has %d parameters; CloudFormation allows %d", n, MaxParameters), split)
	}
	if n := len(t.Outputs); n > MaxOutputs {
		add(fmt.Sprintf("has %d outputs; CloudFormation allows %d", n, MaxOutputs), split)
	}
	if size > MaxTemplateBytes {
		add(fmt.Sprintf("has a template of %d bytes; CloudFormation takes at most %d (1 MB)", size, MaxTemplateBytes),
			"shorten the commands, alarms and variables of the service, or have fewer services in one app")
	}
	ids := make([]string, 0, len(t.Resources))
	for id := range t.Resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		r := t.Resources[id]
		for _, p := range checkResource(r.Type, r.Properties) {
			add(id+" "+p[0], p[1])
		}
	}
	return out
}

// checkResource checks the properties whose limits the definition's text reaches, as far as
// they are literal (an intrinsic function's text counts as its literal parts).
func checkResource(typ string, props map[string]interface{}) [][2]string {
	var out [][2]string
	switch typ {
	case "AWS::CodeBuild::Project":
		source, _ := props["Source"].(map[string]interface{})
		if n := spec.Length(literal(source["BuildSpec"])); n > spec.MaxBuildSpecChars {
			out = append(out, [2]string{fmt.Sprintf("has a build spec of %d characters; CodeBuild takes at most %d", n, spec.MaxBuildSpecChars),
				"shorten the commands: run a script from the repository"})
		}
	case "AWS::Lambda::Function":
		env, _ := props["Environment"].(map[string]interface{})
		vars, _ := env["Variables"].(map[string]interface{})
		lit := map[string]string{}
		for k, v := range vars {
			lit[k] = literal(v)
		}
		if n := spec.EnvironmentSize(lit); len(vars) > 0 && n > spec.MaxLambdaEnvironmentBytes {
			out = append(out, [2]string{fmt.Sprintf("has %d bytes of environment variables; Lambda takes at most %d (4 KB)", n, spec.MaxLambdaEnvironmentBytes),
				"shorten the variables or keep settings elsewhere"})
		}
	case "AWS::CloudWatch::Alarm":
		if n := spec.Length(literal(props["AlarmName"])); n > spec.MaxAlarmNameChars {
			out = append(out, [2]string{fmt.Sprintf("has an alarm name of %d characters; CloudWatch takes at most %d", n, spec.MaxAlarmNameChars), "shorten the alarm's name"})
		}
		if n := spec.Length(literal(props["AlarmDescription"])); n > spec.MaxAlarmDescriptionChars {
			out = append(out, [2]string{fmt.Sprintf("has an alarm description of %d characters; CloudWatch takes at most %d", n, spec.MaxAlarmDescriptionChars),
				"shorten the alarm's namespace and metric name"})
		}
	}
	return out
}

// literal is the literal text of a template value: a string, or the literal parts of an
// intrinsic function (Fn::Join, Fn::Sub) that builds one.
func literal(v interface{}) string {
	switch x := v.(type) {
	case string:
		return x
	case []interface{}:
		var b strings.Builder
		for _, e := range x {
			b.WriteString(literal(e))
		}
		return b.String()
	case map[string]interface{}:
		var b strings.Builder
		for k, e := range x {
			if k == "Fn::Join" || k == "Fn::Sub" {
				b.WriteString(literal(e))
			}
		}
		return b.String()
	}
	return ""
}
