package pipelines

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

type checker struct {
	file      string
	problems  Problems
	positions map[string]*yaml.Node // field path -> the node of its key (or item)
	dropped   []drop                // pairs dropped before decoding: repeated keys, merge keys
	visited   map[*yaml.Node]bool   // nodes checked already (an alias reuses a node)
}

// drop is a key-value pair at Content[index] of a mapping, left out of decoding.
type drop struct {
	mapping *yaml.Node
	index   int
}

func (c *checker) add(n *yaml.Node, field, what, fix string) {
	p := Problem{File: c.file, Field: field, What: what, Fix: fix}
	if n != nil {
		p.Line, p.Column = n.Line, n.Column
	}
	c.problems = append(c.problems, p)
}

// nearest returns the node of the field, or of its closest parent that the file has.
func (c *checker) nearest(field string) *yaml.Node {
	for f := field; ; {
		if n, ok := c.positions[f]; ok {
			return n
		}
		i := strings.LastIndexAny(f, ".[")
		if i < 0 {
			return c.positions[""]
		}
		f = f[:i]
	}
}

func join(parent, child string) string {
	if parent == "" {
		return child
	}
	return parent + "." + child
}

// check walks a node against the Go type it will be decoded into; key is the field's name in
// spec.Ranges and spec.TextRules ("<Go type>.<YAML key>").
func (c *checker) check(n *yaml.Node, field string, t reflect.Type, key string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if _, ok := c.positions[field]; !ok {
		c.positions[field] = n
	}
	if c.visited[n] {
		return // reused through an alias: its problems are reported where it is written
	}
	c.visited[n] = true
	resolve12(n)
	// A pointer field tells 0 from its default (safety.bakeMinutes: 0 turns the bake off).
	zeroIsAValue := false
	if t.Kind() == reflect.Pointer {
		t, zeroIsAValue = t.Elem(), true
	}
	switch t.Kind() {
	case reflect.Struct:
		c.checkStruct(n, field, t)
	case reflect.Map:
		c.checkMap(n, field, t, key)
	case reflect.Slice:
		c.checkSlice(n, field, t, key)
	case reflect.String:
		c.checkText(n, field)
	case reflect.Int:
		c.checkInt(n, field, key, zeroIsAValue)
	case reflect.Float64:
		c.checkFloat(n, field)
	case reflect.Bool:
		c.checkBool(n, field)
	default:
		panic(fmt.Sprintf("loader: no check for %s (%s)", t, field))
	}
}

func nameOf(field string) string {
	if field == "" {
		return "the definition"
	}
	return field
}

// merged reports (and drops) a merge key: yaml.v3 would merge the mapping it names, which
// editors and the schema do not (YAML 1.2 has no merge keys).
func (c *checker) merged(mapping *yaml.Node, i int, field string) bool {
	if k := mapping.Content[i]; k.Tag == tagMerge || (k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Style == 0) {
		c.add(k, field, "uses a merge key (<<), which definitions do not support: YAML 1.2, the schema and editors do not merge",
			"write the fields out, or give the whole mapping an anchor and use its alias (production: {alarms: *alarms})")
		c.dropped = append(c.dropped, drop{mapping, i})
		return true
	}
	return false
}

func (c *checker) checkStruct(n *yaml.Node, field string, t reflect.Type) {
	if n.Kind != yaml.MappingNode {
		c.add(n, field, fmt.Sprintf("is %s, want a mapping of fields", describe(n)), "write the fields of "+nameOf(field)+" as key: value lines")
		return
	}
	fields := map[string]reflect.StructField{}
	var names []string
	for i, tag := range spec.YAMLNames(t) {
		if tag != "" {
			fields[tag] = t.Field(i)
			names = append(names, tag)
		}
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		path := join(field, k.Value)
		sf, ok := fields[k.Value]
		switch {
		case c.merged(n, i, field):
		case !ok:
			c.add(k, path, fmt.Sprintf("unknown field %q", k.Value), "use one of "+strings.Join(names, ", ")+spec.DidYouMean(k.Value, names))
		case seen[k.Value]:
			c.add(k, path, "is set twice", "keep one "+k.Value)
			c.dropped = append(c.dropped, drop{n, i})
		default:
			seen[k.Value] = true
			c.positions[path] = k
			c.check(v, path, sf.Type, t.Name()+"."+k.Value)
			if sf.Type.Kind() == reflect.String && v.Kind == yaml.ScalarNode && v.Tag == tagStr && v.Value == "" {
				// Like an explicit 0, "" would silently mean the default (or nothing).
				c.add(v, path, "is empty text, which no setting of this field allows", "remove the line for the default, or write a value")
			}
		}
	}
}

func (c *checker) checkMap(n *yaml.Node, field string, t reflect.Type, key string) {
	if n.Kind != yaml.MappingNode {
		c.add(n, field, fmt.Sprintf("is %s, want a mapping of names to values", describe(n)), "write NAME: value lines under "+nameOf(field))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		path := join(field, k.Value)
		resolve12(k)
		switch {
		case c.merged(n, i, field):
		case k.Kind != yaml.ScalarNode || k.Tag == tagNull || k.Value == "":
			c.add(k, field, fmt.Sprintf("has a key that is %s", describe(k)), "write a name before the colon")
		case seen[k.Value]:
			c.add(k, path, "is set twice", "keep one "+k.Value)
			c.dropped = append(c.dropped, drop{n, i})
		default:
			seen[k.Value] = true
			c.positions[path] = k
			if t.Elem().Kind() == reflect.String && v.Kind == yaml.ScalarNode {
				resolve12(v)
				if v.Tag == tagInt || v.Tag == tagFloat {
					v.Tag = tagStr // a variable's value may be written as a number (PORT: 8080), read as written
					continue
				}
			}
			c.check(v, path, t.Elem(), key)
		}
	}
}

func (c *checker) checkSlice(n *yaml.Node, field string, t reflect.Type, key string) {
	if n.Kind != yaml.SequenceNode {
		c.add(n, field, fmt.Sprintf("is %s, want a list", describe(n)), "write the items of "+nameOf(field)+" as '- item' lines")
		return
	}
	if len(n.Content) == 0 {
		c.add(n, field, "is an empty list", "remove it (its default applies) or add items")
		return
	}
	for i, item := range n.Content {
		c.check(item, fmt.Sprintf("%s[%d]", field, i), t.Elem(), key)
	}
}

// checkText: text must be text. A number or a boolean where text belongs is refused, so that
// `handler: 00` does not silently become "00" (or "0"); an empty value is not text either.
func (c *checker) checkText(n *yaml.Node, field string) {
	switch {
	case n.Kind == yaml.ScalarNode && n.Tag == tagStr:
	case n.Kind == yaml.ScalarNode && n.Tag == tagNull:
		c.add(n, field, "is empty, want text", "write the value after the colon, or remove the line for the default")
	default:
		c.add(n, field, fmt.Sprintf("is %s, want text", describe(n)), `quote the value, e.g. "`+n.Value+`"`)
	}
}

// neutralize makes a node decode as nothing (its field's zero value), once its problem is
// reported: yaml.v3 would stop decoding the whole file at it.
func neutralize(n *yaml.Node) { n.Kind, n.Tag, n.Value, n.Style = yaml.ScalarNode, tagNull, "", 0 }

// checkInt reads a whole number as YAML 1.2 does, and writes it back in decimal for yaml.v3 to
// decode (01024 is 1024, not octal 532). Its range (spec.Ranges) is in every message.
func (c *checker) checkInt(n *yaml.Node, field, key string, zeroIsAValue bool) {
	r := spec.Ranges[key]
	use := fmt.Sprintf("use %d to %d", r.Min, r.Max)
	if r.Max == 0 {
		use = fmt.Sprintf("use %d or more", r.Min)
	}
	if n.Kind != yaml.ScalarNode || n.Tag != tagInt {
		fix := "write a number without quotes or units, e.g. 30"
		if n.Kind == yaml.ScalarNode && n.Tag == tagNull {
			fix = "write a number after the colon (" + use + "), or remove the line for the default"
		}
		c.add(n, field, fmt.Sprintf("is %s, want a whole number", describe(n)), fix)
		return
	}
	v, ok := int12(n.Value)
	switch {
	case !ok:
		c.add(n, field, fmt.Sprintf("%s is not a whole number", n.Value), use)
		neutralize(n)
	case v.Sign() == 0 && !zeroIsAValue:
		// 0 would silently mean "the default": no whole-number field takes 0, but those that
		// tell it from their default.
		c.add(n, field, "is 0, which no setting of this field allows", "remove it for its default, or "+use)
	case !v.IsInt64() || v.Int64() < -1<<31 || v.Int64() > 1<<31-1:
		c.add(n, field, fmt.Sprintf("%s is out of range", n.Value), use)
		neutralize(n)
	default:
		n.Value = v.String()
	}
}

// checkFloat reads a number as YAML 1.2 does; one beyond what a float64 holds (1e400) is a
// number too large, not text.
func (c *checker) checkFloat(n *yaml.Node, field string) {
	if n.Kind != yaml.ScalarNode || (n.Tag != tagInt && n.Tag != tagFloat) {
		c.add(n, field, fmt.Sprintf("is %s, want a number", describe(n)), "write a number without quotes, e.g. 5 or 0.5")
		return
	}
	v, ok, tooLarge := float12(n.Value)
	switch {
	case !ok:
		c.add(n, field, fmt.Sprintf("%s is not a number", n.Value), "write a number without quotes, e.g. 5 or 0.5")
		neutralize(n)
	case tooLarge:
		c.add(n, field, fmt.Sprintf("%s is a number too large for any value (the largest is about 1.8e308)", n.Value),
			"write the number you mean; an alarm threshold lies within ±2^360 (about ±2.3e108), the values CloudWatch stores")
		neutralize(n)
	case !math.IsInf(v, 0) && !math.IsNaN(v):
		// Written back as yaml.v3 reads it: 010 is ten, not octal eight.
		n.Tag, n.Value = tagFloat, strconv.FormatFloat(v, 'g', -1, 64)
	}
}

// checkBool takes true and false only (YAML 1.2 also reads True and TRUE; yaml.v3 when
// decoding a boolean field also yes, on, y).
func (c *checker) checkBool(n *yaml.Node, field string) {
	switch {
	case n.Kind == yaml.ScalarNode && n.Tag == tagBool && (n.Value == "true" || n.Value == "false"):
	case n.Kind == yaml.ScalarNode && n.Tag == tagBool:
		c.add(n, field, fmt.Sprintf("is the boolean %s, written in a case other tools may not read", n.Value),
			"write "+strings.ToLower(n.Value)+" in lower case")
		neutralize(n)
	default:
		c.add(n, field, fmt.Sprintf("is %s, want true or false", describe(n)), "write true or false without quotes")
	}
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.Tag {
	case tagNull:
		return "empty"
	case tagStr:
		return fmt.Sprintf("the text %q", n.Value)
	case tagInt, tagFloat:
		return "the number " + n.Value
	case tagBool:
		return "the boolean " + n.Value
	}
	return fmt.Sprintf("%q (%s)", n.Value, strings.TrimPrefix(n.Tag, "!!"))
}
