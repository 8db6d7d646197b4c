package synth

import (
	"strings"
	"testing"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

type resource = struct {
	Type       string
	Properties map[string]interface{}
}

// CloudFormation's limits on a template (cloudformation-limits.html) and the limits of the
// properties a definition's text reaches (CodeBuild's 25,600-character build spec, Lambda's 4 KB
// of variables, CloudWatch's 255-character alarm names and 1,024-character descriptions) are
// found on the synthesized templates, each at its limit and one past it.
func TestTemplateLimits(t *testing.T) {
	many := func(n int) map[string]interface{} {
		m := map[string]interface{}{}
		for i := 0; i < n; i++ {
			m[strings.Repeat("a", i+1)] = nil
		}
		return m
	}
	resources := func(n int) map[string]resource {
		m := map[string]resource{}
		for i := 0; i < n; i++ {
			m[strings.Repeat("r", i+1)] = resource{Type: "AWS::CloudFormation::WaitConditionHandle"}
		}
		return m
	}
	one := func(typ string, props map[string]interface{}) map[string]resource {
		return map[string]resource{"R": {Type: typ, Properties: props}}
	}
	join := func(s string) interface{} {
		return map[string]interface{}{"Fn::Join": []interface{}{"", []interface{}{s, map[string]interface{}{"Ref": "X"}}}}
	}
	cases := []struct {
		name      string
		ok, over  template
		size, max int
		want      string
	}{
		{name: "resources", ok: template{Resources: resources(500)}, over: template{Resources: resources(501)}, want: "501 resources; CloudFormation allows 500"},
		{name: "parameters", ok: template{Parameters: many(200)}, over: template{Parameters: many(201)}, want: "201 parameters"},
		{name: "outputs", ok: template{Outputs: many(200)}, over: template{Outputs: many(201)}, want: "201 outputs"},
		{name: "build spec", ok: template{Resources: one("AWS::CodeBuild::Project", map[string]interface{}{"Source": map[string]interface{}{"BuildSpec": strings.Repeat("x", 25600)}})},
			over: template{Resources: one("AWS::CodeBuild::Project", map[string]interface{}{"Source": map[string]interface{}{"BuildSpec": join(strings.Repeat("x", 25601))}})},
			want: "build spec of 25601 characters; CodeBuild takes at most 25600"},
		{name: "lambda environment", ok: template{Resources: one("AWS::Lambda::Function", map[string]interface{}{"Environment": map[string]interface{}{"Variables": map[string]interface{}{"A": strings.Repeat("&", 4096-8)}}})},
			over: template{Resources: one("AWS::Lambda::Function", map[string]interface{}{"Environment": map[string]interface{}{"Variables": map[string]interface{}{"A": strings.Repeat("x", 4096-7)}}})},
			want: "4097 bytes of environment variables"},
		{name: "alarm name", ok: template{Resources: one("AWS::CloudWatch::Alarm", map[string]interface{}{"AlarmName": strings.Repeat("n", 255)})},
			over: template{Resources: one("AWS::CloudWatch::Alarm", map[string]interface{}{"AlarmName": strings.Repeat("n", 256)})}, want: "alarm name of 256 characters"},
		{name: "alarm description", ok: template{Resources: one("AWS::CloudWatch::Alarm", map[string]interface{}{"AlarmDescription": strings.Repeat("d", 1024)})},
			over: template{Resources: one("AWS::CloudWatch::Alarm", map[string]interface{}{"AlarmDescription": strings.Repeat("d", 1025)})}, want: "alarm description of 1025 characters"},
	}
	for _, c := range cases {
		if ps := checkTemplate("s", 100, c.ok); len(ps) != 0 {
			t.Errorf("%s at the limit: %v", c.name, ps)
		}
		ps := checkTemplate("s", 100, c.over)
		if len(ps) != 1 || !strings.Contains(ps[0].Error(), c.want) || ps[0].Fix == "" {
			t.Errorf("%s over the limit: %v", c.name, ps)
		}
	}
	if ps := checkTemplate("s", MaxTemplateBytes, template{}); len(ps) != 0 {
		t.Errorf("a 1,000,000-byte template: %v", ps)
	}
	if ps := checkTemplate("s", MaxTemplateBytes+1, template{}); len(ps) != 1 || !strings.Contains(ps[0].What, "1000001 bytes") {
		t.Errorf("a 1,000,001-byte template: %v", ps)
	}
	if spec.MaxBuildSpecChars != 25600 {
		t.Error("CodeBuild's build spec limit changed")
	}
}
