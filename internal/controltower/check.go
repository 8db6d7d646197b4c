package controltower

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/golden-pipelines/microservice-pipelines/internal/assembly"
)

// Stack is one stack of a cloud assembly, with its template's resources.
type Stack struct {
	// Name is the stack's artifact ID (its name in cdk ls).
	Name string
	// Template is the template file.
	Template string
	// EnvironmentAgnostic is true for a stack synthesized without an account and region.
	EnvironmentAgnostic bool
	// resources are the template's resources by logical ID.
	resources map[string]assembly.Resource
}

// ReadAssembly reads the stacks of the cloud assembly in dir (internal/assembly).
func ReadAssembly(dir string) ([]*Stack, error) {
	stacks, err := assembly.Read(dir)
	if err != nil {
		return nil, err
	}
	out := make([]*Stack, len(stacks))
	for i, st := range stacks {
		t, err := st.Template()
		if err != nil {
			return nil, err
		}
		out[i] = &Stack{Name: st.ID, Template: st.TemplateFile, EnvironmentAgnostic: st.EnvironmentAgnostic(), resources: t.Resources}
	}
	return out, nil
}

// Finding is one resource that fails one control.
type Finding struct {
	Control   *Control
	Stack     *Stack
	LogicalID string
	// Path is the resource's construct path (aws:cdk:path metadata; empty without it).
	Path string
	// Type is the resource type.
	Type string
	// Tags are the resource's tags (Properties.Tags as a list of Key and Value), e.g. the
	// stack's tags the CDK applies to every taggable resource (service, stage, role).
	Tags map[string]string
}

func (f Finding) String() string {
	where := f.Path
	if where == "" {
		where = f.Stack.Name + "/" + f.LogicalID
	}
	return fmt.Sprintf("%s %s (%s %s): %s", f.Control.ID, where, f.Type, f.LogicalID, f.Control.Name)
}

// Check runs every control that applies to each stack's resources and returns the findings,
// sorted by control, stack and construct path. Stacks run in parallel, one cfn-guard process
// each.
func (g *Guard) Check(stacks []*Stack) ([]Finding, error) {
	results := make([][]Finding, len(stacks))
	errs := make([]error, len(stacks))
	next := make(chan int)
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i], errs[i] = g.checkStack(stacks[i])
			}
		}()
	}
	for i := range stacks {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var out []Finding
	for _, r := range results {
		out = append(out, r...)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Control.ID != b.Control.ID {
			return a.Control.ID < b.Control.ID
		}
		if a.Stack.Name != b.Stack.Name {
			return a.Stack.Name < b.Stack.Name
		}
		return a.Path+a.LogicalID < b.Path+b.LogicalID
	})
	return out, nil
}

// Applicable returns the controls that read any resource type of the stack (or every
// template), by ID: the others skip the template anyway, and running only these keeps cfn-guard
// fast (about 1.3 s of CPU per template with all of them).
func (g *Guard) Applicable(s *Stack) []*Control {
	types := map[string]bool{}
	for _, r := range s.resources {
		types[r.Type] = true
	}
	var out []*Control
	for _, c := range g.Controls {
		applies := len(c.Types) == 0
		for _, t := range c.Types {
			applies = applies || types[t]
		}
		if applies {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// checkStack runs cfn-guard with the applicable controls over one template.
func (g *Guard) checkStack(s *Stack) ([]Finding, error) {
	controls := g.Applicable(s)
	if len(controls) == 0 {
		return nil, nil
	}
	args := []string{"validate", "--data", s.Template, "--output-format", "json", "--show-summary", "none", "--structured"}
	for _, c := range controls {
		args = append(args, "--rules", c.File)
	}
	cmd := exec.Command(g.Binary, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	// cfn-guard exits 19 when a rule fails and 0 when none does.
	if exit := (*exec.ExitError)(nil); err != nil && (!errors.As(err, &exit) || exit.ExitCode() != 19) {
		return nil, fmt.Errorf("%s on %s: %v\n%s", g.Binary, s.Template, err, stderr.String())
	}
	return g.parse(s, stdout.Bytes())
}

// parse reads cfn-guard's structured JSON output for one template: every non-compliant rule,
// and in it every path under /Resources/<logical ID>/ (cfn-guard's output nests them
// differently per kind of check), which names the failing resources.
func (g *Guard) parse(s *Stack, out []byte) ([]Finding, error) {
	var reports []struct {
		Name         string
		NotCompliant interface{} `json:"not_compliant"`
	}
	if err := json.Unmarshal(out, &reports); err != nil {
		return nil, fmt.Errorf("cfn-guard output for %s: %w", s.Template, err)
	}
	var findings []Finding
	for _, report := range reports {
		for _, rule := range values(report.NotCompliant) {
			name := ruleName(rule)
			c := g.byRule[name]
			if c == nil {
				return nil, fmt.Errorf("%s: cfn-guard reports rule %q, which no control's rule file declares", s.Template, name)
			}
			ids := map[string]bool{}
			resourcePaths(rule, ids)
			if len(ids) == 0 {
				ids[""] = true // the rule failed without naming a resource: a finding all the same
			}
			for _, id := range sortedKeys(ids) {
				f := Finding{Control: c, Stack: s, LogicalID: id}
				if r, ok := s.resources[id]; ok {
					f.Type = r.Type
					f.Path, _ = r.Metadata["aws:cdk:path"].(string)
					f.Tags = tags(r.Properties["Tags"])
				}
				findings = append(findings, f)
			}
		}
	}
	return findings, nil
}

// tags reads a resource's Tags property written as a list of {Key, Value}.
func tags(v interface{}) map[string]string {
	list, _ := v.([]interface{})
	if len(list) == 0 {
		return nil
	}
	out := map[string]string{}
	for _, t := range list {
		m, _ := t.(map[string]interface{})
		k, _ := m["Key"].(string)
		v, _ := m["Value"].(string)
		if k != "" {
			out[k] = v
		}
	}
	return out
}

// values returns the elements of a list, or the values of an object (cfn-guard writes an empty
// not_compliant as an object).
func values(v interface{}) []interface{} {
	switch x := v.(type) {
	case []interface{}:
		return x
	case map[string]interface{}:
		out := make([]interface{}, 0, len(x))
		for _, k := range sortedKeys(boolKeys(x)) {
			out = append(out, x[k])
		}
		return out
	}
	return nil
}

func boolKeys(m map[string]interface{}) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

// ruleName is the name of a non-compliant rule entry ({"Rule": {"name": ...}}).
func ruleName(v interface{}) string {
	m, _ := v.(map[string]interface{})
	for _, inner := range m {
		if im, ok := inner.(map[string]interface{}); ok {
			if name, ok := im["name"].(string); ok {
				return name
			}
		}
	}
	return ""
}

// resourcePaths collects the logical IDs of every "path": "/Resources/<ID>..." under v.
func resourcePaths(v interface{}, ids map[string]bool) {
	switch x := v.(type) {
	case map[string]interface{}:
		for k, e := range x {
			if p, ok := e.(string); ok && k == "path" {
				if rest, ok := strings.CutPrefix(p, "/Resources/"); ok {
					id, _, _ := strings.Cut(rest, "/")
					ids[id] = true
				}
				continue
			}
			resourcePaths(e, ids)
		}
	case []interface{}:
		for _, e := range x {
			resourcePaths(e, ids)
		}
	}
}

// CheckAssembly reads the cloud assembly in dir and checks its stacks.
func (g *Guard) CheckAssembly(dir string) ([]*Stack, []Finding, error) {
	stacks, err := ReadAssembly(dir)
	if err != nil {
		return nil, nil, err
	}
	if len(g.Controls) == 0 {
		return nil, nil, errNoControls
	}
	findings, err := g.Check(stacks)
	return stacks, findings, err
}
