// Package synth synthesizes an app into a staging folder, catches every error the CDK raises
// while the stacks are created or synthesized, checks the templates against the CloudFormation
// limits only a synthesized template shows (500 resources, 1 MB, CodeBuild's 25,600-character
// build spec, …), and moves the cloud assembly into place only when all of that passed. A
// failed run leaves no manifest.json and no template behind: the CDK CLI finds nothing stale
// to deploy, and the user reads one report instead of a jsii panic.
package synth

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/stacks"
)

// Options of a run.
type Options struct {
	// Outdir receives the cloud assembly (the CDK CLI passes it as CDK_OUTDIR). Empty: a new
	// temporary folder, as the CDK does without CDK_OUTDIR.
	Outdir string
	// Context of the app (stacks.AppContext and whatever the caller adds).
	Context map[string]interface{}
}

// Error is an error the CDK raised while synthesizing (the stacks were created).
type Error struct {
	Message string
	// Violations of the validation plugins (the golden rules), when they failed the synthesis.
	Violations []Violation
}

// Violation is one construct that breaks a rule of a validation plugin.
type Violation struct {
	// Stack of the construct (the first part of its path), Path the construct's path.
	Stack, Path            string
	Rule, Description, Fix string
}

func (e Error) Error() string { return "the CDK could not synthesize the app: " + e.Message }

// Run creates an app that writes to a staging folder inside the output folder, lets build add
// the stacks, synthesizes, checks the templates and moves the assembly into the output folder,
// which it returns. On any error (build's own, a CDK error as stacks.CDKErrors or Error, the
// templates' Problems) nothing is moved and the staging folder is removed.
func Run(opts Options, build func(app awscdk.App) error) (outdir string, err error) {
	outdir = opts.Outdir
	if outdir == "" {
		if outdir, err = os.MkdirTemp("", "cdk.out"); err != nil {
			return "", err
		}
	} else if err = os.MkdirAll(outdir, 0o755); err != nil {
		return "", err
	}
	staging, err := os.MkdirTemp(outdir, ".synth-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(staging)
	ctx := opts.Context
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(staging), Context: &ctx})
	if err := buildCaught(app, build); err != nil {
		return "", err
	}
	if err := synthCaught(app); err != nil {
		err.Violations = violations(filepath.Join(staging, validationReport))
		keepReport(staging, outdir)
		err.Message = strings.ReplaceAll(err.Message, staging, outdir)
		return "", *err
	}
	if ps, err := Check(staging); err != nil {
		return "", err
	} else if len(ps) > 0 {
		return "", ps
	}
	return outdir, install(staging, outdir)
}

// buildCaught runs build; a panic it lets through (a construct created outside stacks'
// catching) is a CDK error too.
func buildCaught(app awscdk.App, build func(awscdk.App) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = stacks.CDKErrors{{Message: stacks.Message(r)}}
		}
	}()
	return build(app)
}

func synthCaught(app awscdk.App) (err *Error) {
	defer func() {
		if r := recover(); r != nil {
			err = &Error{Message: stacks.Message(r)}
		}
	}()
	app.Synth(nil)
	return nil
}

// violations reads a validation report, if there is one.
func violations(path string) []Violation {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var report struct {
		PluginReports []struct {
			Violations []struct {
				RuleName, Description, SuggestedFix string
				ViolatingConstructs                 []struct{ ConstructPath string }
			}
		}
	}
	if json.Unmarshal(b, &report) != nil {
		return nil
	}
	var out []Violation
	for _, p := range report.PluginReports {
		for _, v := range p.Violations {
			for _, c := range v.ViolatingConstructs {
				stack, _, _ := strings.Cut(c.ConstructPath, "/")
				out = append(out, Violation{Stack: stack, Path: c.ConstructPath, Rule: v.RuleName, Description: v.Description, Fix: v.SuggestedFix})
			}
		}
	}
	return out
}

// validationReport is the report the CDK's validation plugins (the golden rules) write.
const validationReport = "validation-report.json"

// keepReport moves the validation plugins' report of a failed synthesis into the output folder:
// it is what the failure is about, and no deploy reads it (no manifest names it). An older
// report is removed either way, so that it cannot be read as this run's.
func keepReport(staging, outdir string) {
	os.Remove(filepath.Join(outdir, validationReport))
	os.Rename(filepath.Join(staging, validationReport), filepath.Join(outdir, validationReport))
}

// install moves every file and folder of the staging folder into the output folder, the
// manifest last, so that a reader never finds a manifest naming files that are not there yet.
// Anything else in the output folder (the CLI's lock files, an older assembly's files) stays.
func install(staging, outdir string) error {
	entries, err := os.ReadDir(staging)
	if err != nil {
		return err
	}
	var manifest os.DirEntry
	for _, e := range entries {
		if e.Name() == "manifest.json" {
			manifest = e
			continue
		}
		if err := replace(filepath.Join(staging, e.Name()), filepath.Join(outdir, e.Name()), e.IsDir()); err != nil {
			return err
		}
	}
	if manifest == nil {
		return fmt.Errorf("the synthesis wrote no manifest.json in %s", staging)
	}
	return replace(filepath.Join(staging, manifest.Name()), filepath.Join(outdir, manifest.Name()), false)
}

// replace renames src to dst, over an existing file or folder (assets are folders named after
// their content's hash: an existing one holds the same).
func replace(src, dst string, dir bool) error {
	if dir {
		if err := os.RemoveAll(dst); err != nil {
			return err
		}
	}
	if err := os.Rename(src, dst); err != nil {
		return fmt.Errorf("moving the cloud assembly into place: %w", err)
	}
	return nil
}

// Problem is a limit a synthesized template exceeds.
type Problem struct {
	// Stack (the template's stack name).
	Stack     string
	What, Fix string
}

func (p Problem) Error() string { return fmt.Sprintf("stack %s: %s; fix: %s", p.Stack, p.What, p.Fix) }

// Problems is every limit the templates exceed.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}
