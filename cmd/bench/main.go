// Command bench measures how long synthesizing the app takes and how much memory it needs as
// the number of services grows, and compares the project with a baseline that declares the
// same resources with raw CDK L2 calls (package baseline).
//
// For each size N in -sizes it generates N services (half Lambda, half container, see
// generate) and, for each variant in -variants, synthesizes them in a fresh child process: the
// bench binary runs itself again in child mode, so every measurement has its own jsii runtime
// (its own Node process) and its own peak-memory counters. Run it from the repository root
// with the pinned Node on PATH:
//
//	npm run bench                                # sizes 1,10,50,200
//	npm run bench -- -sizes 1,4 -runs 3          # quick, median of 3
//	PATH=$PWD/node_modules/.bin:$PATH go run ./cmd/bench -sizes 50 -variants project-novalidation -profile /tmp/prof
//
// It prints a table, the time per added service between sizes, and the project/baseline ratio
// per size, and writes results.json, results.csv and plot.svg to -out.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Variants a measurement can be of.
const (
	// Project is the app exactly as app/main.go builds it, the CDK's validation on.
	Project = "project"
	// ProjectNoValidation is the same app with CDK_VALIDATION=false.
	ProjectNoValidation = "project-novalidation"
	// Baseline declares the same resources with raw L2 calls, CDK_VALIDATION=false.
	Baseline = "baseline"
	// BaselineValidation is the baseline with the CDK's validation on.
	BaselineValidation = "baseline-validation"
	// ProjectStaged is the app with every service staged (staged): dev and staging at home,
	// production in another account in two waves across two regions; CDK_VALIDATION=false.
	// It has no baseline (it declares more): it shows what stages and waves cost.
	ProjectStaged = "project-staged"
)

var allVariants = []string{Project, ProjectNoValidation, Baseline, BaselineValidation, ProjectStaged}

// validates reports whether a variant runs the CDK's built-in CloudFormation validation.
func validates(variant string) bool { return variant == Project || variant == BaselineValidation }

func main() {
	if len(os.Args) > 1 && os.Args[1] == childCommand {
		os.Exit(runChild(os.Args[2:]))
	}
	var (
		sizes       = flag.String("sizes", "1,10,50,200", "comma-separated numbers of services to synthesize")
		variants    = flag.String("variants", strings.Join([]string{Project, ProjectNoValidation, Baseline}, ","), "comma-separated variants: "+strings.Join(allVariants, ", "))
		out         = flag.String("out", "bench", "directory for results.json, results.csv and plot.svg")
		runs        = flag.Int("runs", 1, "measurements per variant and size, alternating between the variants; the table shows the median run (by construct + synth time)")
		cdkJSON     = flag.String("cdk-json", "cdk.json", "cdk.json whose context and metadata switches every synth uses, as the CDK CLI would")
		profile     = flag.String("profile", "", "directory for CPU profiles of every child: Go pprof (go-<variant>-<n>-<run>.pprof) and the jsii kernel's (node-<variant>-<n>-<run>.cpuprofile); prints a summary of the latter")
		countCalls  = flag.Bool("count-calls", false, "count the jsii requests each child sends to Node, by kind and by type (runs the kernel with JSII_DEBUG: slow, for analysis only)")
		nodeOptions = flag.String("node-options", "", "NODE_OPTIONS for the jsii Node process (default: the environment's, else jsii's --max-old-space-size=4069)")
		keep        = flag.Bool("keep", false, "keep each child's cloud assembly under -out/assemblies instead of deleting it")
		from        = flag.String("from", "", "measure nothing: print the report of an earlier results.json and write its outputs (plot included) to -out")
	)
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: bench [flags]\n\nSynthesizes generated apps of each size in a fresh process per variant and size, and reports time, memory and size.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *from != "" {
		if err := replay(*from, *out); err != nil {
			fail(err)
		}
		return
	}
	ns, err := parseSizes(*sizes)
	if err != nil {
		fail(err)
	}
	vs, err := parseVariants(*variants)
	if err != nil {
		fail(err)
	}
	if *runs < 1 {
		fail(fmt.Errorf("-runs must be at least 1"))
	}
	cfg := config{sizes: ns, variants: vs, out: *out, runs: *runs, cdkJSON: *cdkJSON, profile: *profile,
		countCalls: *countCalls, nodeOptions: *nodeOptions, keep: *keep}
	if err := run(cfg); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-sizes: %q is not a positive number of services", f)
		}
		out = append(out, n)
	}
	for i := 1; i < len(out); i++ {
		if out[i] <= out[i-1] {
			return nil, fmt.Errorf("-sizes: give them in increasing order (%d after %d)", out[i], out[i-1])
		}
	}
	return out, nil
}

func parseVariants(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		v := strings.TrimSpace(f)
		known := false
		for _, a := range allVariants {
			known = known || a == v
		}
		if !known {
			return nil, fmt.Errorf("-variants: unknown variant %q; use %s", v, strings.Join(allVariants, ", "))
		}
		out = append(out, v)
	}
	return out, nil
}
