package pipelines

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// textNode is a text of a definition file: a scalar decoded into a string field, or the name of
// an entry of a map.
type textNode struct {
	path, key string
	node      *yaml.Node
	name      bool
}

// textNodes walks a file's nodes beside the Go type they decode into and returns its texts.
func textNodes(n *yaml.Node, path string, t reflect.Type, key string) []textNode {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []textNode
	switch {
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			for f := 0; f < t.NumField(); f++ {
				if spec.YAMLName(t.Field(f)) == n.Content[i].Value {
					out = append(out, textNodes(n.Content[i+1], join(path, n.Content[i].Value), t.Field(f).Type, t.Name()+"."+n.Content[i].Value)...)
				}
			}
		}
	case t.Kind() == reflect.Map && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := join(path, n.Content[i].Value)
			out = append(out, textNode{path: p, key: key + ":key", node: n.Content[i], name: true})
			out = append(out, textNodes(n.Content[i+1], p, t.Elem(), key)...)
		}
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i, item := range n.Content {
			out = append(out, textNodes(item, fmt.Sprintf("%s[%d]", path, i), t.Elem(), key)...)
		}
	case t.Kind() == reflect.String && n.Kind == yaml.ScalarNode:
		out = append(out, textNode{path: path, key: key, node: n})
	}
	return out
}

// doubleQuoted writes a text as a YAML double-quoted scalar with every character outside
// printable ASCII escaped, so that the file itself stays plain (the escapes are the attack).
func doubleQuoted(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteString(`\` + string(r))
		case r >= ' ' && r <= '~':
			b.WriteRune(r)
		case r <= 0xFFFF:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			fmt.Fprintf(&b, `\U%08X`, r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Forbidden text written (with YAML escapes) into every text field and every map name of the
// definitions that set every field, is refused with a problem naming that field at its line.
func TestForbiddenTextIsRefusedInEveryField(t *testing.T) {
	forbidden := []struct {
		text       string
		inCommands bool // commands may hold line breaks, tabs and #{
	}{
		{"{{resolve:ssm:/platform/db-password}}", false}, {"{{resolve:secretsmanager:prod/db:SecretString:password}}", false},
		{"${Token[TOKEN.123]}", false}, {"#{Token[TOKEN.7]}", false}, {"-1.8881545897087626e+289", false},
		{"#{codepipeline.PipelineExecutionId}", true}, {"\x00", false}, {"\x1b", false}, {"\r", false}, {"\n", true},
		{"\t", true}, {"\u0085", false}, {"\u2028", false}, {"\u2029", false}, {"\u202e", false}, {"\u200b", false},
	}
	exercised := map[string]bool{}
	for name, doc := range map[string]string{"everyField": everyField, "everyContainerField": everyContainerField, "everyShorthandField": everyShorthandField} {
		var root yaml.Node
		if err := yaml.Unmarshal([]byte(doc), &root); err != nil {
			t.Fatal(err)
		}
		spots := textNodes(root.Content[0], "", reflect.TypeOf(spec.Service{}), "Service")
		for _, spot := range spots {
			exercised[spot.key] = true
			for _, f := range forbidden {
				if spec.TextRules[spot.key].Lines && f.inCommands {
					continue
				}
				value := spot.node.Value + f.text
				if spot.name {
					value = "X" + value
				}
				original := spot.node.Value
				spot.node.Value, spot.node.Style = "INJECTED-TEXT-HERE", yaml.DoubleQuotedStyle
				b, err := yaml.Marshal(&root)
				spot.node.Value, spot.node.Style = original, 0
				if err != nil {
					t.Fatal(err)
				}
				file := strings.Replace(string(b), `"INJECTED-TEXT-HERE"`, doubleQuoted(value), 1)
				_, err = Load([]File{{Name: "inventory.yaml", Data: []byte(file)}})
				path := spot.path
				if spot.name {
					path = path[:strings.LastIndex(path, ".")+1] + value
				}
				ps, _ := err.(Problems)
				found := false
				for _, p := range ps {
					found = found || (p.Field == path && p.Line > 0 && p.Fix != "")
				}
				if !found {
					t.Errorf("%s: %s with %q: no positioned problem on %s: %v", name, spot.path, f.text, spec.Visible(path), err)
				}
			}
		}
	}
	for key, r := range spec.TextRules {
		if r.Max > 0 && !exercised[key] {
			t.Errorf("no definition of the test sets %s", key)
		}
	}
}

// Numbers are read as YAML 1.2 reads them, as the schema and editors do: 01024 is 1024 (not
// octal 532), 0o and 0x are octal and hexadecimal; 0b101, 1_000 and dates are text.
func TestNumbersFollowYAML12(t *testing.T) {
	load := func(extra string) (spec.Service, error) {
		doc := "name: svc\nlambda:\n  runtime: nodejs22.x\n  handler: index.handler\n" + extra
		services, err := Load([]File{{Name: "svc.yaml", Data: []byte(doc)}})
		if err != nil {
			return spec.Service{}, err
		}
		return services[0], nil
	}
	for text, want := range map[string]int{"01024": 1024, "0o2000": 1024, "0x400": 1024, "+1024": 1024, "000512": 512} {
		s, err := load("  memoryMiB: " + text + "\n")
		if err != nil || s.Lambda.MemoryMiB != want {
			t.Errorf("memoryMiB: %s gives %d (%v), want %d", text, s.Lambda.MemoryMiB, err, want)
		}
	}
	for text, want := range map[string]float64{"010": 10, "0x10": 16, ".5": 0.5, "1e3": 1000, "-0": 0} {
		s, err := load("production:\n  alarms:\n    custom: [{name: x, namespace: Shop, metricName: M, threshold: " + text + "}]\n")
		if err != nil || *s.Stage("production").Alarms.Custom[0].Threshold != want {
			t.Errorf("threshold: %s gives %v (%v), want %v", text, s.Stage("production").Alarms.Custom, err, want)
		}
	}
	s, err := load("branch: 1_000\n  environment: {MODE: 0777, DAY: 2024-01-02}\n")
	if err == nil {
		t.Errorf("a misplaced mapping is accepted: %+v", s)
	}
	s, err = load("  environment: {MODE: 0777, DAY: 2024-01-02, ON: yes}\nbranch: 1_000\n")
	if err != nil || s.Branch != "1_000" || s.Lambda.Environment["MODE"] != "0777" || s.Lambda.Environment["DAY"] != "2024-01-02" ||
		s.Lambda.Environment["ON"] != "yes" {
		t.Errorf("texts that YAML 1.1 reads as numbers, dates or booleans: %+v, %v", s, err)
	}
	if _, err := load("  memoryMiB: 0b10000000000\n"); err == nil || !strings.Contains(err.Error(), `is the text "0b10000000000", want a whole number`) {
		t.Errorf("0b…: %v", err)
	}
}

// The characters yaml.v3 refuses without saying where are reported at their line and column,
// at most ten of them and a count of the rest.
func TestUnreadableCharactersHaveTheirPosition(t *testing.T) {
	doc := "name: svc\nlambda:\n  runtime: nodejs22.x\n  handler: index\x07handler\n# \xff\n" + strings.Repeat("# \x01\n", 12)
	_, err := Load([]File{{Name: "svc.yaml", Data: []byte(doc)}})
	ps, _ := err.(Problems)
	if len(ps) != 11 || ps[0].String() != "svc.yaml:4:17: holds the control character U+0007; fix: remove the character (an editor that shows invisible characters finds it)" ||
		ps[1].Line != 5 || ps[1].Column != 3 || !strings.Contains(ps[1].What, "not UTF-8") || !strings.Contains(ps[10].What, "4 more such characters") {
		t.Errorf("got %v", err)
	}
}

// A definition of 5 MB of comments loads in about the time of a small one; a file larger than
// MaxFileBytes is refused unread; an alias bomb of a few kilobytes that would expand to
// gigabytes is refused at once.
func TestSizeBounds(t *testing.T) {
	small := []byte("name: svc\nlambda: {runtime: nodejs22.x, handler: index.handler}\n")
	var b strings.Builder
	b.Write(small)
	for b.Len() < 5<<20 {
		b.WriteString("# a comment line, long enough to fill five megabytes with text that nobody reads\n")
	}
	timeLoad := func(data []byte) (time.Duration, error) {
		start := time.Now()
		_, err := Load([]File{{Name: "svc.yaml", Data: data}})
		return time.Since(start), err
	}
	dSmall, err := timeLoad(small)
	if err != nil {
		t.Fatal(err)
	}
	dLarge, err := timeLoad([]byte(b.String()))
	if err != nil {
		t.Fatalf("5 MB of comments: %v", err)
	}
	t.Logf("small definition %v, 5 MB of comments %v", dSmall, dLarge)
	if dLarge > 2*time.Second {
		t.Errorf("5 MB of comments take %v", dLarge)
	}
	huge := append([]byte(b.String()), make([]byte, MaxFileBytes)...)
	if _, err := Load([]File{{Name: "svc.yaml", Data: huge}}); err == nil || !strings.Contains(err.Error(), "more than the 16 MiB") {
		t.Errorf("a %d-byte file: %v", len(huge), err)
	}
	// Five levels of 40 aliases of a 1 KB text: 5 KB of file, 100 GB expanded.
	bomb := "name: svc\nlambda: {runtime: nodejs22.x, handler: index.handler}\nx0: &a0 \"" + strings.Repeat("x", 1024) + "\"\n"
	for i := 1; i <= 5; i++ {
		bomb += fmt.Sprintf("x%d: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 40), ", "))
	}
	bomb += "build:\n  test: *a5\n"
	d, err := timeLoad([]byte(bomb))
	if err == nil || !strings.Contains(err.Error(), "expands to more than 20000 values") || d > time.Second {
		t.Errorf("a %d-byte alias bomb: %v after %v", len(bomb), err, d)
	}
}
