package pipelines

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
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

const optionsDoc = "../docs/options.md"

// The options reference (docs/options.md) is the schema's: every field path a definition can
// hold, with its type, the values the schema allows and its description. After a change of the
// definition types (and so of the schema), rewrite it with
//
//	UPDATE_SNAPSHOTS=1 go test ./pipelines -run 'TestSchemaIsCurrent|TestOptionsReferenceIsCurrent'
//
// Under UPDATE_SNAPSHOTS it renders the schema TestSchemaIsCurrent writes, so one run rewrites
// both whatever order the tests run in; otherwise the shipped schema file.
func TestOptionsReferenceIsCurrent(t *testing.T) {
	update := os.Getenv("UPDATE_SNAPSHOTS") != ""
	var schema []byte
	if update {
		schema = generateSchema(t)
	} else {
		b, err := os.ReadFile(schemaFile)
		if err != nil {
			t.Fatal(err)
		}
		schema = b
	}
	reference, err := optionsReference(schema)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(optionsDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	const begin, end = "<!-- options:begin -->\n", "<!-- options:end -->"
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("%s has no options block", optionsDoc)
	}
	want := doc[:i+len(begin)] + reference + doc[j:]
	if update {
		if want != doc {
			if err := os.WriteFile(optionsDoc, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	} else if want != doc {
		t.Errorf("%s is not what %s gives; rewrite it with UPDATE_SNAPSHOTS=1 go test ./pipelines -run TestOptionsReferenceIsCurrent", optionsDoc, schemaFile)
	}
}

// jsonObject is a JSON object with its keys in the order the file writes them (the schema
// lists a type's fields in the Go type's order, which the reference keeps).
type jsonObject struct {
	keys []string
	vals map[string]interface{}
}

func (o *jsonObject) obj(key string) *jsonObject {
	v, _ := o.vals[key].(*jsonObject)
	return v
}

func (o *jsonObject) str(key string) string {
	v, _ := o.vals[key].(string)
	return v
}

// decodeOrdered reads one JSON value: objects as *jsonObject, arrays as []interface{}, numbers
// as json.Number (written as the file writes them).
func decodeOrdered(d *json.Decoder) (interface{}, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	switch delim {
	case '{':
		o := &jsonObject{vals: map[string]interface{}{}}
		for d.More() {
			k, err := d.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeOrdered(d)
			if err != nil {
				return nil, err
			}
			key, _ := k.(string)
			o.keys = append(o.keys, key)
			o.vals[key] = v
		}
		_, err := d.Token()
		return o, err
	case '[':
		var l []interface{}
		for d.More() {
			v, err := decodeOrdered(d)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		_, err := d.Token()
		return l, err
	}
	return nil, fmt.Errorf("unexpected %v", delim)
}

// optionsRenderer writes the reference of the schema's types.
type optionsRenderer struct {
	defs  *jsonObject
	b     strings.Builder
	stack []string // the definitions being expanded, against a cycle
}

// ref returns the definition a schema refers to ("$ref": "#/$defs/<name>"), or nil.
func (r *optionsRenderer) ref(s *jsonObject) (string, *jsonObject) {
	if s == nil {
		return "", nil
	}
	name, ok := strings.CutPrefix(s.str("$ref"), "#/$defs/")
	if !ok {
		return "", nil
	}
	return name, r.defs.obj(name)
}

// typeName says what a value of the schema is: a string, an object, a list of objects, a map
// of strings…
func (r *optionsRenderer) typeName(s *jsonObject) string {
	if s == nil {
		return "any"
	}
	if _, def := r.ref(s); def != nil {
		return "object"
	}
	if alts, ok := s.vals["oneOf"].([]interface{}); ok {
		var names []string
		for _, a := range alts {
			a, _ := a.(*jsonObject)
			names = append(names, r.typeName(a))
		}
		return strings.Join(names, " or ")
	}
	switch s.str("type") {
	case "array":
		return "list of " + r.typeName(s.obj("items"))
	case "object":
		if ap := s.obj("additionalProperties"); ap != nil {
			return "map of " + r.typeName(ap)
		}
		return "object"
	case "":
		return "any"
	}
	return s.str("type")
}

// allowed lists what the schema allows of a value: its values, range, length, form, size.
func (r *optionsRenderer) allowed(s *jsonObject) []string {
	if s == nil {
		return nil
	}
	var out []string
	num := func(key string) string {
		if n, ok := s.vals[key].(json.Number); ok {
			return n.String()
		}
		return ""
	}
	if values, ok := s.vals["enum"].([]interface{}); ok {
		var vs []string
		for _, v := range values {
			vs = append(vs, "`"+codeCell(fmt.Sprint(v))+"`")
		}
		out = append(out, "one of "+strings.Join(vs, ", "))
	}
	if v, ok := s.vals["default"]; ok {
		out = append(out, "default `"+codeCell(fmt.Sprint(v))+"`")
	}
	span := func(lo, hi, unit string) {
		switch {
		case lo != "" && hi != "":
			out = append(out, strings.TrimSpace(lo+"–"+hi+" "+unit))
		case lo != "":
			out = append(out, strings.TrimSpace("at least "+lo+" "+unit))
		case hi != "":
			out = append(out, strings.TrimSpace("at most "+hi+" "+unit))
		}
	}
	if s.vals["enum"] == nil {
		span(num("minimum"), num("maximum"), "")
	}
	span(num("minLength"), num("maxLength"), "characters")
	if p := s.str("pattern"); p != "" {
		out = append(out, "matches `"+codeCell(p)+"`")
	}
	span(num("minItems"), num("maxItems"), "items")
	span(num("minProperties"), num("maxProperties"), "entries")
	if names := r.allowed(s.obj("propertyNames")); len(names) > 0 {
		out = append(out, "names: "+strings.Join(names, ", "))
	}
	if items := s.obj("items"); items != nil {
		if _, def := r.ref(items); def == nil {
			if a := r.allowed(items); len(a) > 0 {
				out = append(out, "each: "+strings.Join(a, ", "))
			}
		}
	}
	if ap := s.obj("additionalProperties"); ap != nil {
		if _, def := r.ref(ap); def == nil {
			if a := r.allowed(ap); len(a) > 0 {
				out = append(out, "values: "+strings.Join(a, ", "))
			}
		}
	}
	if alts, ok := s.vals["oneOf"].([]interface{}); ok {
		var parts []string
		for _, a := range alts {
			a, _ := a.(*jsonObject)
			part := r.typeName(a)
			if more := r.allowed(a); len(more) > 0 {
				part += " (" + strings.Join(more, ", ") + ")"
			}
			parts = append(parts, part)
		}
		out = append(out, strings.Join(parts, " or "))
	}
	return out
}

// rows writes the row of one field and, for an object, a list or a map of objects, the rows of
// the fields below it.
func (r *optionsRenderer) rows(path string, s *jsonObject, required bool) error {
	allowed := r.allowed(s)
	if required {
		allowed = append([]string{"required"}, allowed...)
	}
	description := s.str("description")
	var child *jsonObject
	var childName, prefix string
	if name, def := r.ref(s); def != nil {
		childName, child, prefix = name, def, path+"."
	} else if name, def := r.ref(s.obj("items")); def != nil {
		childName, child, prefix = name, def, path+"[]."
	} else if name, def := r.ref(s.obj("additionalProperties")); def != nil {
		childName, child, prefix = name, def, path+".<NAME>."
	}
	if description == "" && child != nil {
		description = child.str("description")
	}
	fmt.Fprintf(&r.b, "| `%s` | %s | %s | %s |\n", codeCell(path), r.typeName(s), strings.Join(allowed, "; "), textCell(description))
	if child == nil {
		return nil
	}
	if slices.Contains(r.stack, childName) {
		return fmt.Errorf("the schema's %s contains itself (%s): the reference cannot list its fields", childName, path)
	}
	r.stack = append(r.stack, childName)
	defer func() { r.stack = r.stack[:len(r.stack)-1] }()
	return r.fields(prefix, child)
}

// fields writes the rows of an object type's fields, each path starting with prefix.
func (r *optionsRenderer) fields(prefix string, def *jsonObject) error {
	props := def.obj("properties")
	if props == nil {
		return nil
	}
	var required []string
	if l, ok := def.vals["required"].([]interface{}); ok {
		for _, v := range l {
			if s, ok := v.(string); ok {
				required = append(required, s)
			}
		}
	}
	for _, k := range props.keys {
		if err := r.rows(prefix+k, props.obj(k), slices.Contains(required, k)); err != nil {
			return err
		}
	}
	return nil
}

// optionsReference renders the reference of every field of a definition from the schema: a
// section for each top-level field, with a row for it and every field below it.
func optionsReference(schema []byte) (string, error) {
	d := json.NewDecoder(bytes.NewReader(schema))
	d.UseNumber()
	v, err := decodeOrdered(d)
	if err != nil {
		return "", err
	}
	root, ok := v.(*jsonObject)
	if !ok || root.obj("$defs") == nil {
		return "", fmt.Errorf("%s: not a schema with $defs", schemaFile)
	}
	r := &optionsRenderer{defs: root.obj("$defs")}
	name, service := r.ref(root)
	if service == nil || service.obj("properties") == nil {
		return "", fmt.Errorf("%s: its $ref names no type with properties", schemaFile)
	}
	r.stack = []string{name}
	props := service.obj("properties")
	var required []string
	if l, ok := service.vals["required"].([]interface{}); ok {
		for _, v := range l {
			if s, ok := v.(string); ok {
				required = append(required, s)
			}
		}
	}
	for _, k := range props.keys {
		fmt.Fprintf(&r.b, "### `%s`\n\n| field | type | allowed | description |\n| --- | --- | --- | --- |\n", k)
		if err := r.rows(k, props.obj(k), slices.Contains(required, k)); err != nil {
			return "", err
		}
		r.b.WriteString("\n")
	}
	return r.b.String(), nil
}

// codeCell makes text safe inside a code span of a table cell: a pipe would end the cell.
func codeCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// textCell makes a description one table cell: one line, pipes escaped, and outside its code
// spans no HTML tag (<service>) and no emphasis from a word's leading or trailing underscore
// (__pycache__) or an asterisk.
func textCell(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	parts := strings.Split(s, "`")
	for i, p := range parts {
		if i%2 == 1 {
			parts[i] = codeCell(p)
			continue
		}
		var b strings.Builder
		for k := 0; k < len(p); k++ {
			c := p[k]
			switch c {
			case '|', '*':
				b.WriteByte('\\')
			case '<':
				b.WriteString("&lt;")
				continue
			case '_':
				if k == 0 || k == len(p)-1 || !isWordByte(p[k-1]) || !isWordByte(p[k+1]) {
					b.WriteByte('\\')
				}
			}
			b.WriteByte(c)
		}
		parts[i] = b.String()
	}
	return strings.Join(parts, "`")
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
