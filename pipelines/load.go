package pipelines

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

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
		field = spec.Visible(p.Field) + ": "
	}
	return fmt.Sprintf("%s: %s%s; fix: %s", spec.Visible(loc), field, p.What, p.Fix)
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

// LoadFS reads every definition at the top of dir in fsys, in name order, and accounts for
// every other entry there: a definition is a file named <service>.yaml, and anything else (a
// *.yml or *.YAML file, a folder, a file of another kind, one that cannot be read) is a
// problem, unless it matches one of notDefinitions (path.Match patterns: the folder's own
// files). Problems name the files as shownAs/<file>; every problem of every file is reported.
func LoadFS(fsys fs.FS, dir, shownAs string, notDefinitions ...string) ([]spec.Service, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var files []File
	var other Problems
	for _, e := range entries {
		if matchesAny(e.Name(), notDefinitions) {
			continue
		}
		name := path.Join(shownAs, e.Name())
		if p, ok := notADefinition(e, name); !ok {
			other = append(other, p)
			continue
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			other = append(other, Problem{File: name, What: "cannot be read: " + err.Error(), Fix: "make it a readable file"})
			continue
		}
		files = append(files, File{Name: name, Data: b})
	}
	services, err := Load(files)
	if len(other) > 0 {
		ps, _ := err.(Problems)
		return nil, sortProblems(append(other, ps...))
	}
	return services, err
}

func matchesAny(name string, patterns []string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// notADefinition tells whether a folder entry is a definition file (<name>.yaml) and, if not,
// the problem to report.
func notADefinition(e fs.DirEntry, name string) (Problem, bool) {
	ext := path.Ext(e.Name())
	base := strings.TrimSuffix(name, ext)
	switch {
	case e.IsDir() && ext == ".yaml":
		return Problem{File: name, What: "is a folder, not a definition file", Fix: "rename or move the folder: definitions are files named <service>.yaml"}, false
	case e.IsDir():
		return Problem{File: name, What: "is a folder: definitions are read from the top of the folder only", Fix: "move the definitions it holds up, and the folder out"}, false
	case ext == ".yaml":
		return Problem{}, true
	case strings.EqualFold(ext, ".yaml") || strings.EqualFold(ext, ".yml"):
		return Problem{File: name, What: "is not read: definitions end in .yaml", Fix: "rename it to " + base + ".yaml"}, false
	}
	return Problem{File: name, What: "is not a service definition: every file here is one, named <service>.yaml",
		Fix: "move it out of the folder, or rename it to <service>.yaml if it is a definition"}, false
}

// Load parses and validates definition files: one service per file, the file named after the
// service (<name>.yaml). It returns the services with their defaults filled in, in file order,
// or every problem in every file (with line and column) and no services.
func Load(files []File) ([]spec.Service, error) {
	var all Problems
	var services []spec.Service
	byName := map[string]*checker{}
	var named []spec.Service
	for _, f := range files {
		svc, c := loadFile(f)
		all = append(all, c.problems...)
		if svc.Name == "" {
			continue
		}
		if first, ok := byName[svc.Name]; ok {
			all = append(all, Problem{File: f.Name, Line: c.nameLine(), Column: 1, Field: "name",
				What: fmt.Sprintf("service %q is also defined in %s", svc.Name, first.file),
				Fix:  "give every service its own name and file"})
			continue
		}
		byName[svc.Name] = c
		named = append(named, svc)
		if len(c.problems) == 0 {
			services = append(services, svc)
		}
	}
	all = append(all, crossFile(named, byName)...)
	if len(files) == 0 {
		all = append(all, Problem{File: "pipelines/", What: "no service definitions (*.yaml)", Fix: "add one file per service, e.g. pipelines/orders.yaml"})
	}
	if len(all) > 0 {
		return nil, sortProblems(all)
	}
	return services, nil
}

// crossFile checks the rules between services (spec.CrossServiceProblems) and places each
// problem in its service's file.
func crossFile(services []spec.Service, byName map[string]*checker) Problems {
	var out Problems
	for _, p := range spec.CrossServiceProblems(services) {
		c := byName[p.Service]
		n := c.nearest(p.Field)
		out = append(out, Problem{File: c.file, Line: n.Line, Column: n.Column, Field: p.Field, What: p.What, Fix: p.Fix})
	}
	return out
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
