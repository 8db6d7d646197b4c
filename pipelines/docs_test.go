package pipelines

import (
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
	"github.com/golden-pipelines/microservice-pipelines/internal/synth"
)

const definitionsDoc = "../docs/definitions.md"

// yamlPaths maps each spec type to the YAML paths it is found at: "<env>" for an environment,
// "<NAME>" for the entries of a map, "[]" for the items of a list.
func yamlPaths(t reflect.Type, path string, out map[string][]string) {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if !contains(out[t.Name()], path) {
			out[t.Name()] = append(out[t.Name()], path)
		}
		for i := 0; i < t.NumField(); i++ {
			name := spec.YAMLName(t.Field(i))
			if name == "" {
				continue
			}
			p := join(path, name)
			if t.Field(i).Type == reflect.TypeOf(spec.Environment{}) {
				p = join(path, "<env>")
			}
			yamlPaths(t.Field(i).Type, p, out)
		}
	case reflect.Slice:
		yamlPaths(t.Elem(), path+"[]", out)
	case reflect.Map:
		yamlPaths(t.Elem(), join(path, "<NAME>"), out)
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// fieldRulesTable is the docs' table of spec.TextRules.
func fieldRulesTable() string {
	paths := map[string][]string{}
	yamlPaths(reflect.TypeOf(spec.Service{}), "", paths)
	type row struct{ field, line string }
	var rows []row
	for key, r := range spec.TextRules {
		typeName, field, _ := strings.Cut(key, ".")
		field, isName := strings.CutSuffix(field, ":key")
		var fields []string
		for _, p := range paths[typeName] {
			fields = append(fields, "`"+join(p, field)+"`")
		}
		what := "text"
		switch {
		case isName:
			what = "names"
		case r.Max == 0:
			what = "list"
		case r.MaxItems > 0:
			what = "items"
		}
		limit, by := []string{}, []string{}
		if r.Max > 0 {
			unit := "characters"
			if r.Bytes {
				unit = "bytes"
			}
			limit = append(limit, fmt.Sprintf("%d %s", r.Max, unit))
			by = append(by, r.By)
		}
		if r.MaxItems > 0 {
			limit = append(limit, fmt.Sprintf("%d %s", r.MaxItems, r.Items))
			by = append(by, r.ItemsWhy)
		}
		form := r.Is
		if r.ASCII {
			form = strings.TrimPrefix(form+", printable ASCII", ", ")
		}
		if r.Lines {
			form = "may span lines and hold tabs and `#{`"
		}
		f := strings.Join(fields, " / ")
		cell := func(s string) string { return strings.ReplaceAll(s, "<", "&lt;") }
		rows = append(rows, row{f, fmt.Sprintf("| %s (%s) | %s | %s | %s |", f, what, strings.Join(limit, "; "), cell(form), cell(strings.Join(by, "; ")))})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].line < rows[j].line })
	var b strings.Builder
	b.WriteString("| field | at most | form | limit set by |\n| --- | --- | --- | --- |\n")
	for _, r := range rows {
		b.WriteString(r.line + "\n")
	}
	return b.String()
}

// The docs' table of field rules is spec.TextRules', and every value of its table of limits is
// the constant the code checks. After a change of the rules, rewrite the table with
//
//	UPDATE_SNAPSHOTS=1 go test ./pipelines -run TestDocsAreCurrent
func TestDocsAreCurrent(t *testing.T) {
	b, err := os.ReadFile(definitionsDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	const begin, end = "<!-- field-rules:begin -->\n", "<!-- field-rules:end -->"
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("%s has no field-rules block", definitionsDoc)
	}
	want := doc[:i+len(begin)] + fieldRulesTable() + doc[j:]
	if os.Getenv("UPDATE_SNAPSHOTS") != "" {
		if err := os.WriteFile(definitionsDoc, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	} else if want != doc {
		t.Errorf("%s's field rules are not spec.TextRules'; rewrite them with UPDATE_SNAPSHOTS=1 go test ./pipelines -run TestDocsAreCurrent", definitionsDoc)
	}
	for label, value := range map[string]interface{}{
		"CodeDeploy: alarms per deployment group":             spec.MaxAlarmsPerDeploymentGroup,
		"CloudWatch: alarm name":                              fmt.Sprintf("%d characters", spec.MaxAlarmNameChars),
		"CloudWatch: alarm description":                       fmt.Sprintf("%d characters", spec.MaxAlarmDescriptionChars),
		"CloudWatch: metric name, namespace":                  fmt.Sprintf("%d characters", spec.TextRules["CustomAlarm.metricName"].Max),
		"CloudWatch: dimensions per metric":                   spec.TextRules["CustomAlarm.dimensions"].MaxItems,
		"CloudWatch: dimension name and value":                fmt.Sprintf("%d characters, printable ASCII", spec.TextRules["CustomAlarm.dimensions"].Max),
		"Lambda: environment variables":                       fmt.Sprintf("%d bytes", spec.MaxLambdaEnvironmentBytes),
		"Lambda: handler":                                     fmt.Sprintf("%d characters", spec.TextRules["Lambda.handler"].Max),
		"ECS: container variables":                            fmt.Sprintf("%d bytes", spec.MaxContainerEnvironmentBytes),
		"SNS: subscribers (emails and webhooks)":              spec.MaxSubscriptions,
		"CodeStar Notifications: Slack channels":              spec.MaxSlackChannels,
		"CodeBuild: inline build spec":                        fmt.Sprintf("%d characters", spec.MaxBuildSpecChars),
		"commands: one command":                               fmt.Sprintf("%d bytes", spec.MaxCommandBytes),
		"commands: one list":                                  spec.MaxCommands,
		"commands: one CodeBuild project":                     fmt.Sprintf("%d bytes", spec.MaxProjectCommandBytes),
		"CodeBuild: build timeout, so a Lambda traffic shift": fmt.Sprintf("%d minutes", spec.MaxShiftMinutes),
		"CodePipeline: CodeDeploy ECS action":                 fmt.Sprintf("%d minutes", spec.MaxEcsDeploymentMinutes),
		"CloudFormation: resources per stack":                 synth.MaxResources,
		"CloudFormation: template":                            fmt.Sprintf("%d bytes", synth.MaxTemplateBytes),
		"CloudFormation: parameters, outputs":                 synth.MaxParameters,
		"definition file":                                     fmt.Sprintf("%d MiB", MaxFileBytes>>20),
		"definition, aliases expanded":                        fmt.Sprintf("%d values", MaxNodes),
		"definition text, aliases expanded":                   fmt.Sprintf("%d KiB", MaxValueBytes>>10),
	} {
		if row := fmt.Sprintf("| %s | %v |", label, value); !strings.Contains(doc, row) {
			t.Errorf("%s has no row %q", definitionsDoc, row)
		}
	}
	if synth.MaxOutputs != synth.MaxParameters {
		t.Error("the docs give parameters and outputs one limit")
	}
}
