package pipelines

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/invopop/jsonschema"
	validator "github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// schemaFile is the JSON Schema each definition file names in its first line, for editors.
const schemaFile = "service.schema.json"

// generateSchema reflects spec.Service (field names, types, required fields, doc comments)
// and adds the value sets and limits the validation uses, from the same Go tables.
func generateSchema(t testing.TB) []byte {
	t.Helper()
	r := &jsonschema.Reflector{FieldNameTag: "yaml"}
	if err := r.AddGoComments("github.com/golden-pipelines/microservice-pipelines/pipelines", "../constructs/spec"); err != nil {
		t.Fatal(err)
	}
	s := r.Reflect(&spec.Service{})
	s.ID = "https://github.com/golden-pipelines/microservice-pipelines/pipelines/service.schema.json"
	s.Title = "Golden pipeline service definition"
	prop := func(def, name string) *jsonschema.Schema {
		d, ok := s.Definitions[def]
		if !ok {
			t.Fatalf("schema has no definition %s", def)
		}
		p, ok := d.Properties.Get(name)
		if !ok {
			t.Fatalf("schema definition %s has no property %s", def, name)
		}
		return p
	}
	enum := func(p *jsonschema.Schema, values []string) {
		p.Enum = nil
		for _, v := range values {
			p.Enum = append(p.Enum, v)
		}
	}
	runtimes := make([]string, 0, len(spec.SupportedRuntimes))
	for k := range spec.SupportedRuntimes {
		runtimes = append(runtimes, k)
	}
	slices.Sort(runtimes)
	enum(prop("Lambda", "runtime"), runtimes)
	var configs []string
	for _, c := range append(append([]spec.PredefinedConfig(nil), spec.PredefinedConfigs...), spec.PredefinedEcsConfigs...) {
		configs = append(configs, c.Name)
	}
	enum(prop("Deployment", "config"), configs)
	enum(prop("CustomDeployment", "type"), []string{"canary", "linear"})
	enum(prop("Build", "computeType"), []string{"SMALL", "MEDIUM", "LARGE", "X2_LARGE"})
	enum(prop("CustomAlarm", "comparison"), []string{">=", ">", "<=", "<"})
	name := prop("Service", "name")
	name.Pattern, name.MinLength, name.MaxLength = `^[a-z][a-z0-9]*(-[a-z0-9]+)*$`, ptr(uint64(2)), ptr(uint64(28))
	// Whole-number limits come from the table validation uses.
	for key, r := range spec.Ranges {
		def, field, _ := strings.Cut(key, ".")
		p := prop(def, field)
		p.Minimum = json.Number(strconv.Itoa(r.Min))
		if r.Max > 0 {
			p.Maximum = json.Number(strconv.Itoa(r.Max))
		}
	}
	retention := prop("Service", "logRetentionDays")
	for _, d := range spec.LogRetentionDays {
		retention.Enum = append(retention.Enum, d)
	}
	prop("Notifications", "webhooks").Items.Pattern = `^https://`
	textRules(prop)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The shipped schema is the one the Go types give: they cannot drift. After changing
// constructs/spec, regenerate it with
//
//	UPDATE_SNAPSHOTS=1 go test ./pipelines -run TestSchemaIsCurrent
func TestSchemaIsCurrent(t *testing.T) {
	got := generateSchema(t)
	if os.Getenv("UPDATE_SNAPSHOTS") != "" {
		if err := os.WriteFile(schemaFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(schemaFile)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("%s is not what constructs/spec gives (%v); regenerate it with UPDATE_SNAPSHOTS=1 go test ./pipelines -run TestSchemaIsCurrent", schemaFile, err)
	}
}

func ptr[T any](v T) *T { return &v }

// textRules adds the lengths, sizes and patterns of spec.TextRules, which validation applies, to
// the schema (loosely where JSON Schema cannot say it exactly: it counts code points where
// validation counts UTF-16 units or bytes, so the loader never takes a file the schema rejects).
func textRules(prop func(def, name string) *jsonschema.Schema) {
	for key, r := range spec.TextRules {
		typeName, field, _ := strings.Cut(key, ".")
		field, isName := strings.CutSuffix(field, ":key")
		p := prop(typeName, field)
		text := p // the schema of the text itself: the field, a list's items or a map's values
		switch {
		case isName:
			text = &jsonschema.Schema{}
			p.PropertyNames = text
		case p.Type == "array":
			text = p.Items
			p.MaxItems = ptr(uint64(r.MaxItems))
		case p.Type == "object" && p.AdditionalProperties.Type == "string":
			// A variable's or a dimension's value may be written as a number (PORT: 8080);
			// the loader reads it as text.
			text = p.AdditionalProperties
			p.AdditionalProperties = &jsonschema.Schema{OneOf: []*jsonschema.Schema{text, {Type: "number"}}}
			p.MaxProperties = ptr(uint64(r.MaxItems))
		case p.Type == "object":
			text = &jsonschema.Schema{} // a map of secrets: its size only
			p.MaxProperties = ptr(uint64(r.MaxItems))
		}
		if r.Max > 0 {
			text.MaxLength = ptr(uint64(r.Max))
		}
		if r.Pattern != nil {
			text.Pattern = r.Pattern.String()
		}
	}
}

func compileSchema(t testing.TB) *validator.Schema {
	t.Helper()
	doc, err := validator.UnmarshalJSON(bytes.NewReader(generateSchema(t)))
	if err != nil {
		t.Fatal(err)
	}
	c := validator.NewCompiler()
	if err := c.AddResource(schemaFile, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// yamlValue reads a YAML file as editors do, by YAML 1.2's core schema (01024 is 1024, 1_000 and
// 2024-01-02 are text), into the JSON values the validator expects.
func yamlValue(t testing.TB, data []byte) interface{} {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var value func(n *yaml.Node) interface{}
	value = func(n *yaml.Node) interface{} {
		switch n.Kind {
		case yaml.DocumentNode:
			return value(n.Content[0])
		case yaml.AliasNode:
			return value(n.Alias)
		case yaml.MappingNode:
			m := map[string]interface{}{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				m[n.Content[i].Value] = value(n.Content[i+1])
			}
			return m
		case yaml.SequenceNode:
			l := []interface{}{}
			for _, c := range n.Content {
				l = append(l, value(c))
			}
			return l
		}
		resolve12(n)
		switch n.Tag {
		case tagNull:
			return nil
		case tagBool:
			return strings.ToLower(n.Value) == "true"
		case tagInt:
			if i, ok := int12(n.Value); ok {
				return json.Number(i.String())
			}
		case tagFloat:
			if f, ok, tooLarge := float12(n.Value); ok && !tooLarge && !math.IsInf(f, 0) && !math.IsNaN(f) {
				return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
			}
		}
		return n.Value
	}
	return value(&doc)
}

// Editors see what the loader sees: the examples and a definition with every field pass the
// schema, and the structural mistakes of the corpus fail it.
func TestSchemaAgreesWithTheLoader(t *testing.T) {
	s := compileSchema(t)
	for _, f := range []string{"orders.yaml", "payments.yaml"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(yamlValue(t, b)); err != nil {
			t.Errorf("%s fails the schema: %v", f, err)
		}
	}
	if err := s.Validate(yamlValue(t, []byte(everyField))); err != nil {
		t.Errorf("the every-field definition fails the schema: %v", err)
	}
	for _, c := range []string{"unknown-top-field", "unknown-nested-field", "memory-as-text", "approval-as-text",
		"lambda-not-a-mapping", "commands-not-a-list", "missing-name", "missing-runtime", "runtime-unknown",
		"deploy-config-typo", "custom-type-unknown", "alarm-missing-threshold", "alarm-threshold-as-text", "name-uppercase",
		"memory-out-of-range", "compute-type-unknown", "alarm-comparison-unknown", "notifications-unknown-field",
		"notifications-emails-not-a-list", "notifications-http-webhook", "notifications-slack-not-chatbot",
		"notifications-too-many-slack-channels"} {
		b, err := os.ReadFile(corpusDir + "/" + c + "/svc.yaml")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(yamlValue(t, b)); err == nil {
			t.Errorf("%s passes the schema, but the loader rejects it", c)
		}
	}
	// Every example names the schema for editors.
	for _, f := range []string{"orders.yaml", "payments.yaml"} {
		b, _ := os.ReadFile(f)
		if !strings.HasPrefix(string(b), "# yaml-language-server: $schema=./"+schemaFile+"\n") {
			t.Errorf("%s does not reference %s in its first line", f, schemaFile)
		}
	}
}
