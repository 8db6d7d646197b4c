package pipelines

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// loadFile checks one file's characters, size and structure against spec.Service (unknown
// fields, wrong types, duplicate and merge keys, YAML 1.2 numbers), decodes it, fills in the
// defaults and validates it. Problems carry the position of the field they are about. It also
// returns the service as far as it could be read, and the checker, which knows the file's
// positions for the rules between files.
func loadFile(f File) (spec.Service, *checker) {
	c := &checker{file: f.Name, positions: map[string]*yaml.Node{}, visited: map[*yaml.Node]bool{}}
	return c.load(f), c
}

// nameLine is the line of the service's name, or 1.
func (c *checker) nameLine() int {
	if n, ok := c.positions["name"]; ok && n != nil {
		return n.Line
	}
	return 1
}

// load does loadFile's work; the problems collect in c.
func (c *checker) load(f File) spec.Service {
	if len(f.Data) > MaxFileBytes {
		c.problems = append(c.problems, Problem{File: f.Name, What: fmt.Sprintf("is %d bytes, more than the %d MiB a definition file may be", len(f.Data), MaxFileBytes>>20),
			Fix: "keep one service's definition in the file"})
		return spec.Service{}
	}
	if ps := scanCharacters(f.Name, f.Data); len(ps) > 0 {
		c.problems = append(c.problems, ps...)
		return spec.Service{}
	}
	root := c.parse(f)
	if root == nil {
		return spec.Service{}
	}
	c.positions[""] = root
	if !c.bounded(root) {
		return spec.Service{}
	}
	c.check(root, "", reflect.TypeOf(spec.Service{}), "Service")
	if root.Kind != yaml.MappingNode {
		return spec.Service{} // not a definition at all: nothing more to check
	}
	svc, ok := c.decode(root)
	if !ok {
		return spec.Service{}
	}
	c.validate(svc)
	if base := strings.TrimSuffix(path.Base(f.Name), ".yaml"); spec.ValidName(svc.Name) && base != svc.Name {
		c.add(c.nearest("name"), "name", fmt.Sprintf("service %q is defined in %s", svc.Name, path.Base(f.Name)),
			fmt.Sprintf("rename the file to %s.yaml (one file per service, named after it)", svc.Name))
	}
	return svc
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// parse reads the file's one YAML document, or reports why it cannot.
func (c *checker) parse(f File) *yaml.Node {
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
		return nil
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
	return root
}

// decode reads what can be read (yaml.v3 skips unknown fields and values of the wrong type,
// leaving their zero value), so that the rest of the file is validated too.
func (c *checker) decode(root *yaml.Node) (spec.Service, bool) {
	// Keep the first of repeated keys and drop merge keys (both reported), from the last.
	for i := len(c.dropped) - 1; i >= 0; i-- {
		d := c.dropped[i]
		d.mapping.Content = append(d.mapping.Content[:d.index], d.mapping.Content[d.index+2:]...)
	}
	var svc spec.Service
	if err := root.Decode(&svc); err != nil {
		var typeErr *yaml.TypeError
		if len(c.problems) == 0 {
			c.add(root, "", "cannot be read: "+err.Error(), "fix the value the message names")
			return spec.Service{}, false
		}
		if !errors.As(err, &typeErr) {
			return spec.Service{}, false // nothing decoded to validate
		}
	}
	return svc.WithDefaults(), true
}

// validate adds the problems spec.Validate finds, at the position of their field; a value
// already reported as malformed is not reported again as invalid.
func (c *checker) validate(svc spec.Service) {
	var structural Problems // problems of fields, which the semantic checks must not repeat
	for _, p := range c.problems {
		if p.Field != "" {
			structural = append(structural, p)
		}
	}
	err := svc.Validate()
	if err == nil {
		return
	}
	for _, p := range err.(spec.Problems) {
		if !coveredBy(p.Field, structural) {
			c.add(c.nearest(p.Field), p.Field, p.What, p.Fix)
		}
	}
}

// coveredBy reports whether a field, or a field it belongs to, already has a problem.
func coveredBy(field string, ps Problems) bool {
	for _, p := range ps {
		if field == p.Field || strings.HasPrefix(field, p.Field+".") || strings.HasPrefix(field, p.Field+"[") {
			return true
		}
	}
	return false
}
