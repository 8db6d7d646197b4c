package pipelines

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// Problem is one thing wrong in a definition file, where it is.
type Problem struct {
	File         string // path as given to Load
	Line, Column int    // 1-based; Line 0 for the file as a whole, Column 0 when only the line is known
	Field        string // field path, e.g. production.deployment.config
	What, Fix    string
}

func (p Problem) String() string {
	loc := p.File
	switch {
	case p.Line > 0 && p.Column > 0:
		loc = fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
	case p.Line > 0:
		loc = fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	field := ""
	if p.Field != "" {
		field = p.Field + ": "
	}
	return fmt.Sprintf("%s: %s%s; fix: %s", loc, field, p.What, p.Fix)
}

// Problems is every problem in every file Load read.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return fmt.Sprintf("%d problem(s) in the service definitions:\n%s", len(ps), strings.Join(lines, "\n"))
}

// File is one definition file's name and content.
type File struct {
	Name string
	Data []byte
}

// LoadFS reads every *.yaml file at the top of dir in fsys, in name order. Problems name the
// files as shownAs/<file>. A *.yml file is an error, not silently skipped: definitions are
// <name>.yaml.
func LoadFS(fsys fs.FS, dir, shownAs string) ([]spec.Service, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var files []File
	var misnamed Problems
	for _, e := range entries {
		name := path.Join(shownAs, e.Name())
		switch path.Ext(e.Name()) {
		case ".yml":
			misnamed = append(misnamed, Problem{File: name, What: "is not read: definitions end in .yaml",
				Fix: "rename it to " + strings.TrimSuffix(name, ".yml") + ".yaml"})
		case ".yaml":
			b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
			if err != nil {
				return nil, err
			}
			files = append(files, File{Name: name, Data: b})
		}
	}
	services, err := Load(files)
	if len(misnamed) > 0 {
		var ps Problems
		errors.As(err, &ps)
		return nil, sortProblems(append(misnamed, ps...))
	}
	return services, err
}

// Load parses and validates definition files: one service per file, the file named after the
// service (<name>.yaml). It returns the services with their defaults filled in, in file order,
// or every problem in every file (with line and column) and no services.
func Load(files []File) ([]spec.Service, error) {
	var all Problems
	var services []spec.Service
	byName := map[string]string{}
	for _, f := range files {
		svc, line, problems := loadFile(f)
		all = append(all, problems...)
		if svc.Name == "" {
			continue
		}
		if first, ok := byName[svc.Name]; ok {
			all = append(all, Problem{File: f.Name, Line: line, Column: 1, Field: "name",
				What: fmt.Sprintf("service %q is also defined in %s", svc.Name, first),
				Fix:  "give every service its own name and file"})
			continue
		}
		byName[svc.Name] = f.Name
		if len(problems) == 0 {
			services = append(services, svc)
		}
	}
	if len(files) == 0 {
		all = append(all, Problem{File: "pipelines/", What: "no service definitions (*.yaml)", Fix: "add one file per service, e.g. pipelines/orders.yaml"})
	}
	if len(all) > 0 {
		return nil, sortProblems(all)
	}
	return services, nil
}

func sortProblems(all Problems) Problems {
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].File != all[j].File {
			return all[i].File < all[j].File
		}
		if all[i].Line != all[j].Line {
			return all[i].Line < all[j].Line
		}
		return all[i].Column < all[j].Column
	})
	return all
}

// loadFile checks one file's structure against spec.Service (unknown fields, wrong types,
// duplicate keys), decodes it, fills in the defaults and validates it. Problems carry the
// position of the field they are about. It also returns the service as far as it could be
// read and the line of its name, so that Load can find services defined twice.
func loadFile(f File) (spec.Service, int, Problems) {
	c := &checker{file: f.Name, positions: map[string]*yaml.Node{}, visited: map[*yaml.Node]bool{}}
	svc := c.load(f)
	line := 1
	if n, ok := c.positions["name"]; ok {
		line = n.Line
	}
	return svc, line, c.problems
}

// load does loadFile's work; the problems collect in c.
func (c *checker) load(f File) spec.Service {
	dec := yaml.NewDecoder(bytes.NewReader(f.Data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		p := Problem{File: f.Name, What: "is empty", Fix: "write one service definition as a YAML mapping (see pipelines/orders.yaml)"}
		if !errors.Is(err, io.EOF) {
			msg := strings.TrimPrefix(err.Error(), "yaml: ")
			p.What = "is not valid YAML: " + msg
			p.Fix = "correct the YAML syntax in that block (the mistake may be on a later line of it)"
			if m := yamlLine.FindStringSubmatch(msg); m != nil {
				p.Line, _ = strconv.Atoi(m[1])
				p.What = "is not valid YAML in the block starting here: " + yamlLine.ReplaceAllString(msg, "")
				p.What = strings.TrimSuffix(strings.TrimSpace(strings.ReplaceAll(p.What, ": :", ":")), ":")
			}
		}
		c.problems = append(c.problems, p)
		return spec.Service{}
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		c.add(&extra, "", "holds a second YAML document", "keep one service per file")
	case !errors.Is(err, io.EOF):
		p := Problem{File: f.Name, What: "has a second YAML document, and it is not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: "),
			Fix: "keep one service per file: remove everything after ---"}
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			p.Line, _ = strconv.Atoi(m[1])
		}
		c.problems = append(c.problems, p)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	c.check(root, "", reflect.TypeOf(spec.Service{}))
	if root.Kind != yaml.MappingNode {
		return spec.Service{} // not a definition at all: nothing more to check
	}
	var structural Problems // problems of fields, which the semantic checks must not repeat
	for _, p := range c.problems {
		if p.Field != "" {
			structural = append(structural, p)
		}
	}
	// Keep the first of repeated keys (already reported), so that the rest decodes.
	for i := len(c.duplicates) - 1; i >= 0; i-- {
		d := c.duplicates[i]
		d.mapping.Content = append(d.mapping.Content[:d.index], d.mapping.Content[d.index+2:]...)
	}
	// Decode what can be decoded (yaml.v3 skips unknown fields and values of the wrong type,
	// leaving them at their zero value), so that the rest of the file is validated too.
	var svc spec.Service
	if err := root.Decode(&svc); err != nil {
		var typeErr *yaml.TypeError
		if len(c.problems) == 0 {
			c.add(root, "", "cannot be read: "+err.Error(), "fix the value the message names")
			return spec.Service{}
		}
		if !errors.As(err, &typeErr) {
			return spec.Service{} // nothing decoded to validate
		}
	}
	svc = svc.WithDefaults()
	if err := svc.Validate(); err != nil {
		var ps spec.Problems
		errors.As(err, &ps)
		for _, p := range ps {
			// A value already reported as malformed is not reported again as invalid.
			if !coveredBy(p.Field, structural) {
				c.add(c.nearest(p.Field), p.Field, p.What, p.Fix)
			}
		}
	}
	if base := strings.TrimSuffix(path.Base(f.Name), ".yaml"); spec.ValidName(svc.Name) && base != svc.Name {
		c.add(c.nearest("name"), "name", fmt.Sprintf("service %q is defined in %s", svc.Name, path.Base(f.Name)),
			fmt.Sprintf("rename the file to %s.yaml (one file per service, named after it)", svc.Name))
	}
	return svc
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// coveredBy reports whether a field, or a field it belongs to, already has a problem.
func coveredBy(field string, ps Problems) bool {
	for _, p := range ps {
		if field == p.Field || strings.HasPrefix(field, p.Field+".") || strings.HasPrefix(field, p.Field+"[") {
			return true
		}
	}
	return false
}

type checker struct {
	file       string
	problems   Problems
	positions  map[string]*yaml.Node // field path -> the node of its key (or item)
	duplicates []duplicate           // repeated keys, dropped before decoding
	visited    map[*yaml.Node]bool   // nodes checked already (an alias reuses a node)
}

// duplicate is a repeated key: the pair at Content[index] of a mapping.
type duplicate struct {
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

// check walks a node against the Go type it will be decoded into.
func (c *checker) check(n *yaml.Node, field string, t reflect.Type) {
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
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	name := field
	if name == "" {
		name = "the definition"
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			c.add(n, field, fmt.Sprintf("is %s, want a mapping of fields", describe(n)), "write the fields of "+name+" as key: value lines")
			return
		}
		fields := map[string]reflect.StructField{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			tag := strings.Split(sf.Tag.Get("yaml"), ",")[0]
			if tag != "" && tag != "-" {
				fields[tag] = sf
				names = append(names, tag)
			}
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := k.Value
			path := join(field, key)
			sf, ok := fields[key]
			switch {
			case !ok:
				c.add(k, path, fmt.Sprintf("unknown field %q", key),
					"use one of "+strings.Join(names, ", ")+spec.DidYouMean(key, names))
			case seen[key]:
				c.add(k, path, "is set twice", "keep one "+key)
				c.duplicates = append(c.duplicates, duplicate{n, i})
			default:
				seen[key] = true
				c.positions[path] = k
				c.check(v, path, sf.Type)
			}
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			c.add(n, field, fmt.Sprintf("is %s, want a mapping of names to values", describe(n)), "write NAME: value lines under "+name)
			return
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			path := join(field, k.Value)
			if k.Kind != yaml.ScalarNode || k.Tag == "!!null" || k.Value == "" {
				c.add(k, field, fmt.Sprintf("has a key that is %s", describe(k)), "write a name before the colon")
				continue
			}
			if seen[k.Value] {
				c.add(k, path, "is set twice", "keep one "+k.Value)
				c.duplicates = append(c.duplicates, duplicate{n, i})
				continue
			}
			seen[k.Value] = true
			c.positions[path] = k
			if t.Elem().Kind() == reflect.String && v.Kind == yaml.ScalarNode && (v.Tag == "!!int" || v.Tag == "!!float") {
				c.positions[path] = k // a variable's value may be written as a number (PORT: 8080)
				continue
			}
			c.check(v, path, t.Elem())
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			c.add(n, field, fmt.Sprintf("is %s, want a list", describe(n)), "write the items of "+name+" as '- item' lines")
			return
		}
		if len(n.Content) == 0 {
			c.add(n, field, "is an empty list", "remove it (its default applies) or add items")
			return
		}
		for i, item := range n.Content {
			c.check(item, fmt.Sprintf("%s[%d]", field, i), t.Elem())
		}
	case reflect.String:
		// Text must be text: a number or a boolean where text belongs is quoted, so that
		// `handler: 00` does not silently become "00" (or "0").
		if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
			c.add(n, field, fmt.Sprintf("is %s, want text", describe(n)), `quote the value, e.g. "`+n.Value+`"`)
		}
	case reflect.Int:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			c.add(n, field, fmt.Sprintf("is %s, want a whole number", describe(n)), "write a number without quotes or units, e.g. 30")
		} else if v, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 32); err != nil {
			c.add(n, field, fmt.Sprintf("%s is not a whole number this field can hold", n.Value), "write a whole number, e.g. 30")
		} else if v == 0 {
			// 0 would silently mean "the default": no whole-number field takes 0.
			c.add(n, field, "is 0, which no setting of this field allows", "remove it for its default, or give a value in range")
		}
	case reflect.Float64:
		if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
			c.add(n, field, fmt.Sprintf("is %s, want a number", describe(n)), "write a number without quotes, e.g. 5 or 0.5")
		}
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			c.add(n, field, fmt.Sprintf("is %s, want true or false", describe(n)), "write true or false without quotes")
		}
	default:
		panic(fmt.Sprintf("loader: no check for %s (%s)", t, field))
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
	case "!!null":
		return "empty"
	case "!!str":
		return fmt.Sprintf("the text %q", n.Value)
	case "!!int", "!!float":
		return "the number " + n.Value
	case "!!bool":
		return "the boolean " + n.Value
	}
	return fmt.Sprintf("%q (%s)", n.Value, strings.TrimPrefix(n.Tag, "!!"))
}
