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
	Line, Column int    // 1-based; 0 when the problem is about the file as a whole
	Field        string // field path, e.g. production.deployment.config
	What, Fix    string
}

func (p Problem) String() string {
	loc := p.File
	if p.Line > 0 {
		loc = fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
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
// files as shownAs/<file>.
func LoadFS(fsys fs.FS, dir, shownAs string) ([]spec.Service, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	files := make([]File, 0, len(names))
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		files = append(files, File{Name: path.Join(shownAs, path.Base(n)), Data: b})
	}
	return Load(files)
}

// Load parses and validates definition files: one service per file, the file named after the
// service (<name>.yaml). It returns the services with their defaults filled in, in file order,
// or every problem in every file (with line and column) and no services.
func Load(files []File) ([]spec.Service, error) {
	var all Problems
	var services []spec.Service
	byName := map[string]string{}
	for _, f := range files {
		svc, problems := loadFile(f)
		all = append(all, problems...)
		if len(problems) > 0 {
			continue
		}
		if first, ok := byName[svc.Name]; ok {
			all = append(all, Problem{File: f.Name, Line: 1, Column: 1, Field: "name",
				What: fmt.Sprintf("service %q is also defined in %s", svc.Name, first),
				Fix:  "give every service its own name and file"})
			continue
		}
		byName[svc.Name] = f.Name
		services = append(services, svc)
	}
	if len(files) == 0 {
		all = append(all, Problem{File: "pipelines/", What: "no service definitions (*.yaml)", Fix: "add one file per service, e.g. pipelines/orders.yaml"})
	}
	if len(all) > 0 {
		sort.SliceStable(all, func(i, j int) bool {
			if all[i].File != all[j].File {
				return all[i].File < all[j].File
			}
			if all[i].Line != all[j].Line {
				return all[i].Line < all[j].Line
			}
			return all[i].Column < all[j].Column
		})
		return nil, all
	}
	return services, nil
}

// loadFile checks one file's structure against spec.Service (unknown fields, wrong types,
// duplicate keys), decodes it, fills in the defaults and validates it. Problems carry the
// position of the field they are about.
func loadFile(f File) (spec.Service, Problems) {
	c := &checker{file: f.Name, positions: map[string]*yaml.Node{}}
	dec := yaml.NewDecoder(bytes.NewReader(f.Data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		p := Problem{File: f.Name, What: "is empty", Fix: "write one service definition as a YAML mapping (see pipelines/orders.yaml)"}
		if !errors.Is(err, io.EOF) {
			p.What = "is not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")
			p.Fix = "correct the YAML syntax at that line"
			if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
				p.Line, _ = strconv.Atoi(m[1])
				p.Column = 1
			}
		}
		return spec.Service{}, Problems{p}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		c.add(&extra, "", "holds a second YAML document", "keep one service per file")
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	c.check(root, "", reflect.TypeOf(spec.Service{}))
	structural := append(Problems(nil), c.problems...)
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
		if len(structural) == 0 {
			c.add(root, "", "cannot be read: "+err.Error(), "fix the value the message names")
			return spec.Service{}, c.problems
		}
		if !errors.As(err, &typeErr) {
			return spec.Service{}, c.problems // nothing decoded to validate
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
	if base := strings.TrimSuffix(path.Base(f.Name), ".yaml"); svc.Name != "" && base != svc.Name && len(c.problems) == 0 {
		c.add(c.nearest("name"), "name", fmt.Sprintf("service %q is defined in %s", svc.Name, path.Base(f.Name)),
			fmt.Sprintf("rename the file to %s.yaml (one file per service, named after it)", svc.Name))
	}
	return svc, c.problems
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// coveredBy reports whether a field, or a field it belongs to, already has a problem.
func coveredBy(field string, ps Problems) bool {
	for _, p := range ps {
		if p.Field == "" || field == p.Field || strings.HasPrefix(field, p.Field+".") || strings.HasPrefix(field, p.Field+"[") {
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
			if seen[k.Value] {
				c.add(k, path, "is set twice", "keep one "+k.Value)
				c.duplicates = append(c.duplicates, duplicate{n, i})
				continue
			}
			seen[k.Value] = true
			c.positions[path] = k
			c.check(v, path, t.Elem())
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			c.add(n, field, fmt.Sprintf("is %s, want a list", describe(n)), "write the items of "+name+" as '- item' lines")
			return
		}
		for i, item := range n.Content {
			c.check(item, fmt.Sprintf("%s[%d]", field, i), t.Elem())
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || n.Tag == "!!bool" {
			c.add(n, field, fmt.Sprintf("is %s, want text", describe(n)), `quote the value, e.g. "`+n.Value+`"`)
		}
	case reflect.Int:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			c.add(n, field, fmt.Sprintf("is %s, want a whole number", describe(n)), "write a number without quotes or units, e.g. 30")
		} else if _, err := strconv.ParseInt(n.Value, 0, 32); err != nil {
			c.add(n, field, fmt.Sprintf("%s is out of range", n.Value), "use a smaller number")
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
