// Package controltower checks synthesized templates against the AWS Control Tower proactive
// controls: the cfn-guard rules that Control Tower runs as CloudFormation hooks, which block a
// deploy that fails an enabled control. The rules and the cfn-guard binary come from the npm
// package @cdklabs/cdk-validator-cfnguard (pinned in package.json); this package runs that
// binary over the templates of a cloud assembly, maps every non-compliant resource to its
// control and construct path, and sorts the findings into acknowledged (Acknowledgements: the
// controls that do not fit a golden pipeline by design, each with its reason) and the rest.
//
// The tests run it over their synthesized apps and cmd/controltower over CI's cdk.out, so both
// run the same check.
package controltower

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
)

// PackageDir is where npm installs the rules and the binary, relative to the project root.
const PackageDir = "node_modules/@cdklabs/cdk-validator-cfnguard"

// Control is one Control Tower proactive control: a cfn-guard rule file and its metadata.
type Control struct {
	// ID is the control's identifier, e.g. CT.CLOUDWATCH.PR.1.
	ID string
	// Name says what the control requires (the metadata's DisplayName).
	Name string
	// URL is the control's page in the Control Tower documentation.
	URL string
	// File is the cfn-guard rule file.
	File string
	// Types are the resource types the rule reads; the rule runs on a template that has any of
	// them (empty: on every template).
	Types []string
}

// Guard is the cfn-guard binary and the controls of the npm package.
type Guard struct {
	// Binary is the cfn-guard executable for this machine.
	Binary string
	// Version is the package's version (package.json).
	Version string
	// Controls are every control the package ships, by ID.
	Controls map[string]*Control
	// byRule maps the primary rule names of the rule files to their controls.
	byRule map[string]*Control
}

// Find locates the npm package in the first directory from start upwards that has it.
func Find(start string) (*Guard, error) {
	dir, err := filepath.Abs(start)
	if err != nil {
		return nil, err
	}
	for {
		if st, err := os.Stat(filepath.Join(dir, PackageDir)); err == nil && st.IsDir() {
			return Load(filepath.Join(dir, PackageDir))
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil, fmt.Errorf("no %s in %s or above: run npm ci (package.json pins it)", PackageDir, start)
		}
		dir = parent
	}
}

// platforms name the package's binaries by the operating system and architecture.
var platforms = map[string]string{"linux": "ubuntu", "darwin": "macos"}
var architectures = map[string]string{"amd64": "x86_64", "arm64": "aarch64"}

// Load reads the package at dir: its binary for this machine, every rule file and its metadata.
func Load(dir string) (*Guard, error) {
	osName, arch := platforms[runtime.GOOS], architectures[runtime.GOARCH]
	if osName == "" || arch == "" {
		return nil, fmt.Errorf("%s ships cfn-guard for Linux and macOS on x86_64 and arm64, not %s/%s", PackageDir, runtime.GOOS, runtime.GOARCH)
	}
	g := &Guard{Binary: filepath.Join(dir, "bin", osName, arch, "cfn-guard"), Controls: map[string]*Control{}, byRule: map[string]*Control{}}
	var pkg struct{ Version string }
	if err := readJSON(filepath.Join(dir, "package.json"), &pkg); err != nil {
		return nil, err
	}
	g.Version = pkg.Version
	urls, err := controlURLs(filepath.Join(dir, "README.md"))
	if err != nil {
		return nil, err
	}
	files, err := filepath.Glob(filepath.Join(dir, "rules", "control-tower", "cfn-guard", "*", "*.guard"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no Control Tower rule files under %s: %v", dir, err)
	}
	for _, f := range files {
		if err := g.addRule(dir, f, urls); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// primaryRule matches the rules a rule file reports on (cfn-guard names them in its output);
// parameterized helper rules (rule check(x)) are not reported.
var primaryRule = regexp.MustCompile(`(?m)^rule\s+([A-Za-z0-9_]+)\s*(?:when\b|\{)`)

// resourceType matches the resource types a rule file names in its code.
var resourceType = regexp.MustCompile(`AWS::[A-Za-z0-9]+::[A-Za-z0-9]+`)

// addRule reads one rule file and its metadata (rules/control-tower/metadata/<service>/<name>.metadata.json).
func (g *Guard) addRule(dir, file string, urls map[string]string) error {
	name := strings.TrimSuffix(filepath.Base(file), ".guard")
	service := filepath.Base(filepath.Dir(file))
	var meta struct {
		ID                     string `json:"Id"`
		DisplayName            string
		EvaluatedResourceTypes []string
	}
	if err := readJSON(filepath.Join(dir, "rules", "control-tower", "metadata", service, name+".metadata.json"), &meta); err != nil {
		return err
	}
	if meta.ID == "" {
		return fmt.Errorf("%s: its metadata names no control", file)
	}
	code, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	// The types the rule reads: the metadata's, and any its code names (comments aside), so that
	// no rule is left out of a template it could fail.
	types := map[string]bool{}
	for _, t := range meta.EvaluatedResourceTypes {
		types[t] = true
	}
	for _, line := range strings.Split(string(code), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			for _, t := range resourceType.FindAllString(line, -1) {
				types[t] = true
			}
		}
	}
	c := &Control{ID: meta.ID, Name: meta.DisplayName, URL: urls[meta.ID], File: file, Types: sortedKeys(types)}
	if _, dup := g.Controls[c.ID]; dup {
		return fmt.Errorf("%s: control %s has two rule files", file, c.ID)
	}
	g.Controls[c.ID] = c
	rules := primaryRule.FindAllStringSubmatch(string(code), -1)
	if len(rules) == 0 {
		return fmt.Errorf("%s: no rule found", file)
	}
	for _, r := range rules {
		if other, dup := g.byRule[r[1]]; dup && other != c {
			return fmt.Errorf("rule %s is in the files of both %s and %s", r[1], other.ID, c.ID)
		}
		g.byRule[r[1]] = c
	}
	return nil
}

// controlLink matches the package README's links to the controls' documentation.
var controlLink = regexp.MustCompile(`\[(CT\.[A-Z0-9]+\.PR\.[0-9]+)\]\((https://[^)]+)\)`)

// controlURLs reads each control's documentation link from the package's README.
func controlURLs(readme string) (map[string]string, error) {
	f, err := os.Open(readme)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	for s.Scan() {
		for _, m := range controlLink.FindAllStringSubmatch(s.Text(), -1) {
			out[m[1]] = m[2]
		}
	}
	return out, s.Err()
}

func readJSON(path string, v interface{}) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// errNoControls is returned when a check would run no control at all.
var errNoControls = errors.New("no Control Tower control to run")
