// Package assembly reads what `cdk synth` writes: a cloud assembly's manifest.json (its stacks,
// their environments and template files) and the CloudFormation templates. The golden rules
// (constructs/policy), the Control Tower check, the diagram command and the tests all read
// templates through it, so there is one parser of the assembly format and one shape of a
// template in Go.
package assembly

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Template is a CloudFormation template as synthesized.
type Template struct {
	// Path is the template file.
	Path       string                 `json:"-"`
	Parameters map[string]interface{} `json:"Parameters"`
	Conditions map[string]interface{} `json:"Conditions"`
	Mappings   map[string]interface{} `json:"Mappings"`
	Resources  map[string]Resource    `json:"Resources"`
	Outputs    map[string]interface{} `json:"Outputs"`
	Metadata   map[string]interface{} `json:"Metadata"`
}

// Resource is one template resource.
type Resource struct {
	Type                string                 `json:"Type"`
	Properties          map[string]interface{} `json:"Properties"`
	Metadata            map[string]interface{} `json:"Metadata"`
	DependsOn           interface{}            `json:"DependsOn"`
	Condition           string                 `json:"Condition"`
	DeletionPolicy      string                 `json:"DeletionPolicy"`
	UpdateReplacePolicy string                 `json:"UpdateReplacePolicy"`
}

// Path is the resource's construct path (its aws:cdk:path metadata), or "".
func (r Resource) Path() string {
	p, _ := r.Metadata["aws:cdk:path"].(string)
	return p
}

// OfType returns the logical IDs of the template's resources of a type, sorted.
func (t *Template) OfType(typ string) []string {
	var out []string
	for id, r := range t.Resources {
		if r.Type == typ {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// ReadTemplate reads a synthesized template file.
func ReadTemplate(path string) (*Template, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var t Template
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	t.Path = path
	return &t, nil
}

// Stack is one stack artifact of a cloud assembly.
type Stack struct {
	// ID is the stack's artifact ID, its name in `cdk ls` and `cdk deploy`.
	ID string
	// StackName is the CloudFormation stack name (the ID unless the stack names itself).
	StackName string
	// Account and Region are the stack's environment; "" for an environment-agnostic one.
	Account, Region string
	// TemplateFile is the template's path.
	TemplateFile string
	// Tags are the stack's tags.
	Tags map[string]string
}

// EnvironmentAgnostic reports whether the stack was synthesized without an account or region.
func (s Stack) EnvironmentAgnostic() bool { return s.Account == "" || s.Region == "" }

// Template reads the stack's template.
func (s Stack) Template() (*Template, error) { return ReadTemplate(s.TemplateFile) }

// manifest is the part of manifest.json (the cloud assembly schema) this package reads.
type manifest struct {
	Artifacts map[string]struct {
		Type        string `json:"type"`
		Environment string `json:"environment"`
		Properties  struct {
			TemplateFile string            `json:"templateFile"`
			StackName    string            `json:"stackName"`
			Tags         map[string]string `json:"tags"`
		} `json:"properties"`
	} `json:"artifacts"`
}

// Read returns the stacks of the cloud assembly in dir, by artifact ID, from its manifest.json.
// A nested assembly (a CDK Stage) is refused rather than skipped: its stacks would go unread.
func Read(dir string) ([]Stack, error) {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("%w: synthesize the app first (npm run cdk -- synth)", err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "manifest.json"), err)
	}
	var out []Stack
	for id, a := range m.Artifacts {
		switch a.Type {
		case "aws:cloudformation:stack":
		case "cdk:cloud-assembly":
			return nil, fmt.Errorf("%s: nested cloud assembly %s (a CDK Stage) is not supported", dir, id)
		default:
			continue
		}
		s := Stack{ID: id, StackName: a.Properties.StackName, TemplateFile: filepath.Join(dir, a.Properties.TemplateFile), Tags: a.Properties.Tags}
		if s.StackName == "" {
			s.StackName = id
		}
		s.Account, s.Region = environment(a.Environment)
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: the cloud assembly has no stack", dir)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// environment splits aws://<account>/<region>; the CDK writes unknown-account and
// unknown-region for an environment-agnostic stack.
func environment(env string) (account, region string) {
	account, region, _ = strings.Cut(strings.TrimPrefix(env, "aws://"), "/")
	if account == "unknown-account" {
		account = ""
	}
	if region == "unknown-region" {
		region = ""
	}
	return account, region
}

// Templates reads the template of every stack of the assembly in dir, by artifact ID.
func Templates(dir string) (map[string]*Template, error) {
	stacks, err := Read(dir)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*Template, len(stacks))
	for _, s := range stacks {
		t, err := s.Template()
		if err != nil {
			return nil, err
		}
		out[s.ID] = t
	}
	return out, nil
}
