package pipeline

import (
	"embed"

	"github.com/golden-pipelines/microservice-pipelines/constructs/buildspec"
)

// The shell steps the pipeline's CodeBuild projects run are the .sh files of steps/: real
// scripts, ShellCheck-clean, each documenting its environment. A buildspec carries a step's
// body: the script without its shebang, its comment lines and its own `set -euo pipefail`
// (buildspec.Script starts every script with that line).
//
//go:embed steps/*.sh
var stepFiles embed.FS

// step returns the body of the embedded step steps/<name>.sh, line by line.
func step(name string) []string {
	return buildspec.Step(stepFiles, name)
}

// steps concatenates the bodies of several steps (a shared function first, then the step
// that calls it).
func steps(names ...string) []string {
	var out []string
	for _, n := range names {
		out = append(out, step(n)...)
	}
	return out
}
