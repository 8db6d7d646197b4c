// Command app is the CDK app: it loads the service definitions, creates every service's stacks
// and synthesizes them. A bad definition exits non-zero before anything is created; an error
// the CDK raises, or a template over a CloudFormation limit, exits non-zero too, with the
// definition file it comes from and without a stack trace, and leaves no cloud assembly
// behind (internal/synth).
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
	"github.com/golden-pipelines/microservice-pipelines/internal/synth"
	"github.com/golden-pipelines/microservice-pipelines/pipelines"
	"github.com/golden-pipelines/microservice-pipelines/stacks"
)

func main() {
	code := run(os.Stderr, pipelines.All, os.Getenv("CDK_OUTDIR"), nil)
	jsii.Close()
	os.Exit(code)
}

// run loads the definitions, synthesizes them into outdir (with the app's context and extra
// context on top) and reports any problem on stderr; it returns the exit code.
func run(stderr io.Writer, load func() ([]spec.Service, error), outdir string, extra map[string]interface{}) int {
	services, err := load()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	ctx := stacks.AppContext()
	for k, v := range extra {
		ctx[k] = v
	}
	_, err = synth.Run(synth.Options{Outdir: outdir, Context: ctx}, func(app awscdk.App) error {
		_, err := stacks.AddServices(app, services, stacks.EnvFromCLI())
		return err
	})
	if err != nil {
		fmt.Fprintln(stderr, report(err, services))
		return 1
	}
	return 0
}

// definitionsDir is how problems name the definitions folder and files.
const definitionsDir = "pipelines"

// owner is the definition a stack comes from.
type owner struct{ file, field string }

// owners maps every stack (by its ID) to the file it comes from and, for a service stack, the
// stage (the field of the file it is built from). The shared stacks of the accounts and regions
// the services use belong to the folder.
func owners(services []spec.Service) map[string]owner {
	out := map[string]owner{stacks.SharedStackName: {file: definitionsDir + "/"}}
	for _, s := range services {
		file := definitionsDir + "/" + s.Name + ".yaml"
		out[s.PipelineStackName()] = owner{file: file}
		if s.Home.Account != "" && s.Home.Region != "" {
			out[stacks.SharedStackID(s.Home)] = owner{file: definitionsDir + "/"}
		}
		for i := range s.Stages {
			st := &s.Stages[i]
			for _, t := range st.AllTargets() {
				out[s.TargetStackID(st, t)] = owner{file: file, field: s.StageField(i)}
				where := t.Resolve(s.Home)
				if where.Account != "" && where.Region != "" {
					out[stacks.SupportStackID(s.Name, where)] = owner{file: file, field: s.StageField(i)}
					out[stacks.SharedStackID(where)] = owner{file: definitionsDir + "/"}
					// The pipeline's artifact store of the target's region.
					if s.Home.Account != "" {
						out[stacks.SupportStackID(s.Name, spec.Target{Account: s.Home.Account, Region: where.Region})] = owner{file: file}
					}
				}
			}
		}
	}
	return out
}

// report turns an error of the synthesis into problems of the definition files.
func report(err error, services []spec.Service) error {
	own := owners(services)
	at := func(stack string) owner {
		if o, ok := own[stack]; ok {
			return o
		}
		return owner{file: definitionsDir + "/"}
	}
	var out pipelines.Problems
	gap := "the definitions passed validation, so this is a gap in it: report the message to the platform team; meanwhile change what it names"
	var cdk stacks.CDKErrors
	var synthErr synth.Error
	var limits synth.Problems
	var specProblems spec.Problems
	switch {
	case errors.As(err, &cdk):
		for _, e := range cdk {
			o := at(e.Stack)
			out = append(out, pipelines.Problem{File: o.file, Field: o.field, What: "the CDK refused it while creating stack " + e.Stack + ": " + e.Message, Fix: gap})
		}
	case errors.As(err, &synthErr) && len(synthErr.Violations) > 0:
		for _, v := range synthErr.Violations {
			o := at(v.Stack)
			out = append(out, pipelines.Problem{File: o.file, Field: o.field, What: fmt.Sprintf("%s breaks the golden rule %s: %s", v.Path, v.Rule, v.Description),
				Fix: v.Fix + " (" + gap + ")"})
		}
	case errors.As(err, &synthErr):
		o := at(stackIn(synthErr.Message, own))
		out = append(out, pipelines.Problem{File: o.file, Field: o.field, What: "the CDK refused it while synthesizing: " + synthErr.Message, Fix: gap})
	case errors.As(err, &limits):
		for _, p := range limits {
			o := at(p.Stack)
			out = append(out, pipelines.Problem{File: o.file, Field: o.field, What: "stack " + p.Stack + " " + p.What, Fix: p.Fix})
		}
	case errors.As(err, &specProblems):
		for _, p := range specProblems {
			out = append(out, pipelines.Problem{File: definitionsDir + "/" + p.Service + ".yaml", Field: p.Field, What: p.What, Fix: p.Fix})
		}
	default:
		return err
	}
	return out
}

// stackIn finds the stack an error message names (construct paths start with the stack name),
// the longest name first, or "".
func stackIn(message string, own map[string]owner) string {
	names := make([]string, 0, len(own))
	for n := range own {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return len(names[i]) > len(names[j]) })
	for _, n := range names {
		for _, form := range []string{"'" + n + "'", n + "/", "[" + n + "]", " " + n + " "} {
			if strings.Contains(message, form) {
				return n
			}
		}
	}
	return ""
}
