// Package buildspec builds CodeBuild build specifications from typed Go values.
//
// Every phase runs its commands in a bash subshell with `set -euo pipefail`, so the first
// failing command, an unset variable or a failure inside a pipe fails the phase, and the strict
// mode never leaks into CodeBuild's own shell. The generated YAML is what the tests run locally
// under bash with stand-in aws and docker commands.
package buildspec

import (
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"sort"
	"strings"
)

// StrictMode is the first line of every generated script.
const StrictMode = "set -euo pipefail"

// Spec is a CodeBuild buildspec (version 0.2).
type Spec struct {
	// Variables are plain environment variables set for every phase.
	Variables map[string]string
	// ExportedVariables are handed to the pipeline (CodePipeline action output variables).
	ExportedVariables []string
	// Phases in the order CodeBuild runs them.
	Install, PreBuild, Build, PostBuild Phase
	// Reports maps a report group name to the test report files.
	Reports map[string]Report
	// Artifacts are the files handed to the next pipeline action; nil for none.
	Artifacts *Artifacts
}

// Phase is one buildspec phase.
type Phase struct {
	// RuntimeVersions for the install phase, e.g. {"nodejs": "20"}.
	RuntimeVersions map[string]string
	// Setup lines run in CodeBuild's own shell before the script, so that what they export is
	// seen by later phases and by ExportedVariables (e.g. `export BUILD_TAG=...`). Keep them to
	// plain assignments.
	Setup []string
	// Script lines run in one strict bash subshell.
	Script []string
}

// Report is a CodeBuild test report.
type Report struct {
	BaseDirectory string
	Files         []string
	FileFormat    string // e.g. JUNITXML
}

// Artifacts names the output files of the build.
type Artifacts struct {
	BaseDirectory string
	Files         []string
}

// PhaseNames lists CodeBuild's phase keys in run order.
var PhaseNames = []string{"install", "pre_build", "build", "post_build"}

// Script renders lines as one strict bash subshell command.
func Script(lines []string) string {
	return "(\n" + StrictMode + "\n" + strings.Join(lines, "\n") + "\n)"
}

// Object renders the spec as the value codebuild.BuildSpec_FromObjectToYaml takes. Map keys are
// sorted by the YAML writer, so the output is deterministic.
func (s Spec) Object() map[string]interface{} {
	out := map[string]interface{}{"version": "0.2"}
	env := map[string]interface{}{"shell": "bash"}
	if len(s.Variables) > 0 {
		vars := map[string]interface{}{}
		for k, v := range s.Variables {
			vars[k] = v
		}
		env["variables"] = vars
	}
	if len(s.ExportedVariables) > 0 {
		env["exported-variables"] = toAny(s.ExportedVariables)
	}
	out["env"] = env
	phases := map[string]interface{}{}
	for i, p := range []Phase{s.Install, s.PreBuild, s.Build, s.PostBuild} {
		if rendered := p.object(); rendered != nil {
			phases[PhaseNames[i]] = rendered
		}
	}
	out["phases"] = phases
	if len(s.Reports) > 0 {
		reports := map[string]interface{}{}
		names := make([]string, 0, len(s.Reports))
		for n := range s.Reports {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			r := s.Reports[n]
			reports[n] = map[string]interface{}{
				"base-directory": r.BaseDirectory,
				"files":          toAny(r.Files),
				"file-format":    r.FileFormat,
			}
		}
		out["reports"] = reports
	}
	if s.Artifacts != nil {
		a := map[string]interface{}{"files": toAny(s.Artifacts.Files)}
		if s.Artifacts.BaseDirectory != "" {
			a["base-directory"] = s.Artifacts.BaseDirectory
		}
		out["artifacts"] = a
	}
	return out
}

func (p Phase) object() map[string]interface{} {
	if len(p.RuntimeVersions) == 0 && len(p.Setup) == 0 && len(p.Script) == 0 {
		return nil
	}
	out := map[string]interface{}{}
	if len(p.RuntimeVersions) > 0 {
		rv := map[string]interface{}{}
		for k, v := range p.RuntimeVersions {
			rv[k] = v
		}
		out["runtime-versions"] = rv
	}
	cmds := append([]string(nil), p.Setup...)
	if len(p.Script) > 0 {
		cmds = append(cmds, Script(p.Script))
	}
	if len(cmds) > 0 {
		out["commands"] = toAny(cmds)
	}
	return out
}

func toAny(ss []string) []interface{} {
	out := make([]interface{}, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// UserCommands runs a service's own commands (field names them for people, e.g. "build.test")
// as a script of their own: the generated lines write the commands, quoted, to a temporary
// file and run it with `bash -euo pipefail`. Nothing the commands hold (a ")", an "exit", a
// here-document that never ends) can end or skip the generated steps around them: they run in
// another process, which sees the environment but cannot change the generated script's
// variables, and whose failure fails the phase.
func UserCommands(field string, cmds []string) []string {
	return UserCommandsIn(field, cmds, "", nil)
}

// UserCommandsIn is UserCommands run from folder (relative to the source's root; "" for the
// root), with env exported first: a monorepo service's commands see its folder and its paths
// as the definition writes them.
func UserCommandsIn(field string, cmds []string, folder string, env map[string]string) []string {
	if len(cmds) == 0 {
		return nil
	}
	var prologue []string
	if folder != "" {
		prologue = append(prologue, "cd -- "+ShellQuote(folder))
	}
	for _, k := range slices.Sorted(maps.Keys(env)) {
		prologue = append(prologue, "export "+k+"="+ShellQuote(env[k]))
	}
	quoted := make([]string, 0, len(prologue)+len(cmds))
	for _, c := range prologue {
		quoted = append(quoted, ShellQuote(c))
	}
	for _, c := range cmds {
		quoted = append(quoted, ShellQuote(c))
	}
	return []string{
		`user_script="$(mktemp)"`,
		`printf '%s\n' ` + strings.Join(quoted, " ") + ` > "$user_script"`,
		fmt.Sprintf(`echo %s`, ShellQuote(fmt.Sprintf("== %s (%d command(s), bash -euo pipefail)", field, len(cmds)))),
		`bash -euo pipefail "$user_script"`,
	}
}

// ShellQuote quotes s for bash as one word.
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}

// Step is the body of the shell step steps/<name>.sh of files (a package's embedded steps).
func Step(files fs.FS, name string) []string {
	b, err := fs.ReadFile(files, "steps/"+name+".sh")
	if err != nil {
		panic("no shell step " + name + ": " + err.Error())
	}
	return Body(b)
}

// Body is the body of a shell step a buildspec carries: the script without its shebang, its
// comment lines and its own `set -euo pipefail` (Script starts every script with that line).
func Body(script []byte) []string {
	var out []string
	for _, line := range strings.Split(string(script), "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") || trimmed == StrictMode {
			continue
		}
		out = append(out, line)
	}
	return out
}
