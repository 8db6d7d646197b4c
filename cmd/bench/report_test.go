package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseFlags(t *testing.T) {
	if got, err := parseSizes("1, 10,50"); err != nil || !reflect.DeepEqual(got, []int{1, 10, 50}) {
		t.Errorf("parseSizes: %v, %v", got, err)
	}
	for _, bad := range []string{"0", "10,5", "a", "1,1"} {
		if _, err := parseSizes(bad); err == nil {
			t.Errorf("parseSizes(%q) accepted", bad)
		}
	}
	if _, err := parseVariants("project,baseline"); err != nil {
		t.Error(err)
	}
	if _, err := parseVariants("project,fast"); err == nil || !strings.Contains(err.Error(), `"fast"`) {
		t.Errorf("parseVariants accepted an unknown variant: %v", err)
	}
}

func meas(v string, n, run int, total, cpu float64, node, goRSS int64, resources int) measurement {
	return measurement{Variant: v, Services: n, Run: run, TotalSeconds: total, CPUSeconds: cpu, NodeMaxRSSKiB: node,
		GoMaxRSSKiB: goRSS, Resources: resources, TemplateBytes: int64(resources) * 100}
}

// The summary is the median run; the increments are per added service; the ratios divide the
// project by the baseline.
func TestSummaryIncrementsRatios(t *testing.T) {
	all := []measurement{
		meas(ProjectNoValidation, 10, 1, 12, 11, 200<<10, 80<<10, 1000),
		meas(ProjectNoValidation, 10, 2, 10, 10, 200<<10, 80<<10, 1000),
		meas(ProjectNoValidation, 10, 3, 30, 29, 200<<10, 80<<10, 1000),
		meas(Baseline, 10, 1, 8, 8, 190<<10, 80<<10, 1000),
		meas(ProjectNoValidation, 50, 1, 50, 45, 600<<10, 100<<10, 5000),
		meas(Baseline, 50, 1, 40, 40, 600<<10, 100<<10, 5000),
	}
	sizes := []int{10, 50}
	sum := summarize(all, []string{ProjectNoValidation, Baseline}, sizes)
	if len(sum) != 4 {
		t.Fatalf("summary has %d rows, want 4", len(sum))
	}
	if m, _ := find(sum, ProjectNoValidation, 10); m.Run != 1 || m.TotalSeconds != 12 {
		t.Errorf("median of 10, 12 and 30 s: got run %d with %v s", m.Run, m.TotalSeconds)
	}
	inc := increments(sum, []string{ProjectNoValidation, Baseline}, sizes)
	if len(inc) != 2 || inc[0].Variant != ProjectNoValidation || inc[0].SecondsPerService != 38.0/40 ||
		inc[0].CPUSecondsPerService != 34.0/40 || inc[0].NodeMiBPerService != 400.0/40 || inc[0].ResourcesPerService != 100 {
		t.Errorf("increments: %+v", inc)
	}
	r := ratios(sum, sizes)
	if len(r) != 2 || r[0].TimeNoValidation != 12.0/8 || r[1].CPUNoValidation != 45.0/40 || r[1].Resources != 1 || r[0].TimeValidation != 0 {
		t.Errorf("ratios: %+v", r)
	}
	res := results{Machine: machine{Command: "bench -sizes 10,50"}, Runs: all, Summary: sum, PerService: inc, Ratios: r}
	dir := t.TempDir()
	if err := writeOutputs(dir, res); err != nil {
		t.Fatal(err)
	}
	csv, _ := os.ReadFile(filepath.Join(dir, "results.csv"))
	if lines := strings.Count(string(csv), "\n"); lines != 1+len(all) {
		t.Errorf("results.csv has %d lines, want a header and %d runs", lines, len(all))
	}
	svg, _ := os.ReadFile(filepath.Join(dir, "plot.svg"))
	// A wall and a CPU time line per variant, a Node and a Go memory line per variant.
	if n := strings.Count(string(svg), "<polyline"); n != 8 {
		t.Errorf("plot has %d lines, want 8", n)
	}
	if !strings.Contains(string(svg), "baseline Go: 100 at 50 services") {
		t.Error("the plot does not label the baseline's Go RSS at 50 services")
	}
	md, _ := os.ReadFile(filepath.Join(dir, "results.md"))
	for _, want := range []string{"| project-novalidation | 50 | 0 | 5000 |", "| project-novalidation | 10→50 | 0.95 | 0.85 | 10.0 |", "| 10 services | 1.50 |"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("results.md has no %q:\n%s", want, md)
		}
	}
	out := filepath.Join(dir, "replayed")
	if err := replay(filepath.Join(dir, "results.json"), out); err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadFile(filepath.Join(out, "plot.svg"))
	if string(again) != string(svg) {
		t.Error("a plot replayed from results.json differs from the original")
	}
}

func TestTicks(t *testing.T) {
	for _, c := range []struct {
		max     float64
		integer bool
		want    []float64
	}{
		{200, true, []float64{0, 50, 100, 150, 200}},
		{2, true, []float64{0, 1, 2}},
		{2, false, []float64{0, 0.5, 1, 1.5, 2}},
		{430, false, []float64{0, 100, 200, 300, 400, 500}},
	} {
		if got := ticks(c.max, c.integer); !reflect.DeepEqual(got, c.want) {
			t.Errorf("ticks(%v, %v) = %v, want %v", c.max, c.integer, got, c.want)
		}
	}
}

// JSII_DEBUG makes the kernel log each request it reads as "> {json}"; responses ("< …") and
// the kernel's own trace lines are not requests.
func TestCountRequests(t *testing.T) {
	log := strings.Join([]string{
		`> {"api":"load","name":"constructs","version":"10.6.0","tarball":"/tmp/x.tgz"}`,
		`> {"api":"create","fqn":"aws-cdk-lib.App","args":[]}`,
		`< {"ok":{"$jsii.byref":"aws-cdk-lib.App@10000"}}`,
		`[@jsii/kernel] create { fqn: 'aws-cdk-lib.Stack' }`,
		`> {"api":"invoke","objref":{"$jsii.byref":"aws-cdk-lib.Stack@10001"},"method":"formatArn","args":[]}`,
		`> {"api":"get","objref":{"$jsii.byref":"aws-cdk-lib.Stack@10002"},"property":"node"}`,
		`> {"api":"invoke","objref":{"$jsii.byref":"aws-cdk-lib.Stack@10003"},"method":"formatArn","args":[]}`,
	}, "\n")
	calls := map[string]int{}
	countRequests(strings.NewReader(log), calls)
	want := map[string]int{"all": 5, "api:load": 1, "api:create": 1, "api:invoke": 2, "api:get": 1,
		"create:aws-cdk-lib.App": 1, "invoke:aws-cdk-lib.Stack.formatArn": 2, "get:aws-cdk-lib.Stack.node": 1}
	if !reflect.DeepEqual(calls, want) {
		t.Errorf("counted %v, want %v", calls, want)
	}
}

// A V8 .cpuprofile: self time goes to the sampled frame and its area, inclusive time to every
// distinct function on its stack.
func TestSummarizeCPUProfile(t *testing.T) {
	profile := `{"nodes":[
	  {"id":1,"callFrame":{"functionName":"(root)","url":"","lineNumber":-1},"children":[2,4]},
	  {"id":2,"callFrame":{"functionName":"synth","url":"file:///c/node_modules/aws-cdk-lib/core/lib/stage.js","lineNumber":0},"children":[3]},
	  {"id":3,"callFrame":{"functionName":"processRequest","url":"file:///tmp/jsii-runtime.1/lib/program.js","lineNumber":0},"children":[]},
	  {"id":4,"callFrame":{"functionName":"(garbage collector)","url":"","lineNumber":-1},"children":[]}],
	 "samples":[3,3,2,4],"timeDeltas":[1000000,1000000,2000000,500000]}`
	file := filepath.Join(t.TempDir(), "p.cpuprofile")
	if err := os.WriteFile(file, []byte(profile), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := summarizeCPUProfile(file)
	if err != nil {
		t.Fatal(err)
	}
	if s.TotalSeconds != 4.5 || s.ByArea["jsii kernel"] != 2 || s.ByArea["aws-cdk-lib/core"] != 2 || s.ByArea["garbage collection"] != 0.5 {
		t.Errorf("by area: %v of %v s", s.ByArea, s.TotalSeconds)
	}
	if s.Inclusive["synth stage.js:1"] != 4 || s.Self["synth stage.js:1"] != 2 || s.Inclusive["(root)"] != 4.5 {
		t.Errorf("inclusive %v, self %v", s.Inclusive, s.Self)
	}
}
