package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/cmd/bench/baseline"
	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
	"github.com/golden-pipelines/microservice-pipelines/internal/cdkjson"
	"github.com/golden-pipelines/microservice-pipelines/stacks"
)

// childCommand is the first argument of the bench binary when it runs one measurement.
const childCommand = "__child"

// measurement is what one child measures (times in seconds, memory in KiB).
type measurement struct {
	Variant  string `json:"variant"`
	Services int    `json:"services"`
	Run      int    `json:"run"`
	// StartupSeconds: the first jsii call, creating the empty App: Node starts, the jsii
	// kernel loads the constructs and aws-cdk-lib assemblies.
	StartupSeconds float64 `json:"startupSeconds"`
	// ConstructSeconds: stacks.AddServices (defaults, validation, constructs) or baseline.Add.
	ConstructSeconds float64 `json:"constructSeconds"`
	// SynthSeconds: app.Synth (CDK validation included when on), templates written.
	SynthSeconds float64 `json:"synthSeconds"`
	// TotalSeconds = ConstructSeconds + SynthSeconds: the app's own work.
	TotalSeconds float64 `json:"totalSeconds"`
	// CPUSeconds: CPU time (user + system) of the Go process and the jsii Node processes
	// during construct and synth. Less disturbed by other load on the machine than the wall
	// times, so the project/baseline ratio is also given on it.
	CPUSeconds float64 `json:"cpuSeconds"`
	// ProcessSeconds: the child process from start to exit, as the parent timed it.
	ProcessSeconds float64 `json:"processSeconds"`
	// GoMaxRSSKiB: getrusage(RUSAGE_SELF).ru_maxrss of the Go process.
	GoMaxRSSKiB int64 `json:"goMaxRSSKiB"`
	// NodeMaxRSSKiB: VmHWM (peak resident set) from /proc/<pid>/status of the jsii kernel
	// process (node … lib/program.js), read just before jsii.Close.
	NodeMaxRSSKiB int64 `json:"nodeMaxRSSKiB"`
	// NodeWrapperMaxRSSKiB: VmHWM of jsii's launcher (node … bin/jsii-runtime.js), which only
	// forwards the kernel's pipes.
	NodeWrapperMaxRSSKiB int64 `json:"nodeWrapperMaxRSSKiB"`
	// ChildrenMaxRSSKiB: getrusage(RUSAGE_CHILDREN).ru_maxrss after jsii.Close: the largest
	// reaped descendant, a cross-check of NodeMaxRSSKiB.
	ChildrenMaxRSSKiB int64 `json:"childrenMaxRSSKiB"`
	Stacks            int   `json:"stacks"`
	Resources         int   `json:"resources"`
	TemplateBytes     int64 `json:"templateBytes"`
	// AssemblyBytes: every file of the cloud assembly (templates, manifest, metadata, tree).
	AssemblyBytes int64 `json:"assemblyBytes"`
	// LoadAverage: the machine's one-minute load average when the child started (other
	// processes competing for the CPU make the times longer).
	LoadAverage float64 `json:"loadAverage"`
	// Calls: jsii requests by kind and by type/member, with -count-calls only.
	Calls map[string]int `json:"calls,omitempty"`
}

func runChild(args []string) int {
	fs := flag.NewFlagSet("bench "+childCommand, flag.ContinueOnError)
	variant := fs.String("variant", ProjectNoValidation, "")
	n := fs.Int("n", 1, "")
	outdir := fs.String("outdir", "", "")
	cdkJSON := fs.String("cdk-json", "cdk.json", "")
	result := fs.String("result", "", "")
	cpuProfile := fs.String("cpuprofile", "", "")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	m, err := measure(*variant, *n, *outdir, *cdkJSON, *cpuProfile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench child:", err)
		return 1
	}
	b, _ := json.Marshal(m)
	if err := os.WriteFile(*result, b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "bench child:", err)
		return 1
	}
	return 0
}

func measure(variant string, n int, outdir, cdkJSON, cpuProfile string) (*measurement, error) {
	if got, want := os.Getenv("CDK_VALIDATION") != "false", validates(variant); got != want {
		return nil, fmt.Errorf("variant %s wants the CDK's validation %v, the environment has it %v", variant, want, got)
	}
	ctx, err := cdkjson.Context(cdkJSON)
	if err != nil {
		return nil, err
	}
	ctx = cdkjson.WithoutAppSettings(ctx)
	// Everything Go-only happens before the clock starts.
	services := generate(n)
	specs := make([]spec.Service, n)
	bases := make([]baseline.Service, n)
	for i, g := range services {
		specs[i], bases[i] = g.spec, g.baseline
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}

	m := &measurement{Variant: variant, Services: n}
	start := time.Now()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir), Context: &ctx})
	m.StartupSeconds = time.Since(start).Seconds()
	cpuStart := cpuSeconds()

	start = time.Now()
	switch variant {
	case Project, ProjectNoValidation:
		if _, err := stacks.AddServices(app, specs, nil); err != nil {
			return nil, err
		}
	case ProjectStaged:
		if _, err := stacks.AddServices(app, staged(specs), nil); err != nil {
			return nil, err
		}
	default:
		baseline.Add(app, bases)
	}
	m.ConstructSeconds = time.Since(start).Seconds()
	start = time.Now()
	app.Synth(nil)
	m.SynthSeconds = time.Since(start).Seconds()
	m.TotalSeconds = m.ConstructSeconds + m.SynthSeconds
	m.CPUSeconds = cpuSeconds() - cpuStart
	pprof.StopCPUProfile()

	m.NodeMaxRSSKiB, m.NodeWrapperMaxRSSKiB = nodePeakRSS(os.Getpid())
	jsii.Close()
	m.ChildrenMaxRSSKiB = childrenMaxRSS()
	var self syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &self); err == nil {
		m.GoMaxRSSKiB = self.Maxrss
	}
	if err := countAssembly(outdir, m); err != nil {
		return nil, err
	}
	return m, nil
}

// childrenMaxRSS is ru_maxrss of the reaped children. jsii.Close waits for the Node process,
// but another goroutine of the jsii runtime may be the one that reaps it: wait a moment for
// the count to appear.
func childrenMaxRSS() int64 {
	var ru syscall.Rusage
	for i := 0; i < 50; i++ {
		if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err == nil && ru.Maxrss > 0 {
			return ru.Maxrss
		}
		time.Sleep(20 * time.Millisecond)
	}
	return ru.Maxrss
}

// countAssembly counts the stacks, resources and bytes of the cloud assembly in dir.
func countAssembly(dir string, m *measurement) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		m.AssemblyBytes += info.Size()
		if filepath.Dir(path) != filepath.Clean(dir) || !strings.HasSuffix(path, ".template.json") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var t struct {
			Resources map[string]json.RawMessage `json:"Resources"`
		}
		if err := json.Unmarshal(b, &t); err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		m.Stacks++
		m.Resources += len(t.Resources)
		m.TemplateBytes += info.Size()
		return nil
	})
}
