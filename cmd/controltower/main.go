// Command controltower checks every stack of a synthesized cloud assembly against the AWS
// Control Tower proactive controls (the cfn-guard rules of @cdklabs/cdk-validator-cfnguard,
// installed by npm ci) and exits 1 on any finding that internal/controltower's
// Acknowledgements do not cover. It is what CI runs after the real synth; the tests run the same
// check over their own synths.
//
//	npm run cdk -- synth --quiet && go run ./cmd/controltower [cdk.out]
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/golden-pipelines/microservice-pipelines/internal/controltower"
)

func main() {
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: go run ./cmd/controltower [cloud assembly directory, default cdk.out]")
		flag.PrintDefaults()
	}
	flag.Parse()
	dir := "cdk.out"
	if flag.NArg() > 1 {
		flag.Usage()
		os.Exit(2)
	} else if flag.NArg() == 1 {
		dir = flag.Arg(0)
	}
	ok, err := run(os.Stdout, dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "controltower:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

// run checks the assembly in dir, writes the report to w and reports whether every finding is
// acknowledged.
func run(w io.Writer, dir string) (bool, error) {
	g, err := controltower.Find(".")
	if err != nil {
		return false, err
	}
	if err := controltower.Validate(controltower.Acknowledgements, g); err != nil {
		return false, err
	}
	stacks, findings, err := g.CheckAssembly(dir)
	if err != nil {
		return false, err
	}
	open, covered := controltower.Triage(findings, controltower.Acknowledgements)
	fmt.Fprintf(w, "Control Tower proactive controls (%s %s, %d controls) on %d stacks of %s\n",
		controltower.PackageDir, g.Version, len(g.Controls), len(stacks), dir)
	for i, a := range controltower.Acknowledgements {
		if len(covered[i]) > 0 {
			fmt.Fprintf(w, "acknowledged %s on %d resources\n", a.Control, len(covered[i]))
		}
	}
	for _, f := range open {
		fmt.Fprintln(w, "FAIL", f)
	}
	fmt.Fprintf(w, "%d findings, %d acknowledged, %d not\n", len(findings), len(findings)-len(open), len(open))
	return len(open) == 0, nil
}
