package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

type config struct {
	sizes       []int
	variants    []string
	out         string
	runs        int
	cdkJSON     string
	profile     string
	countCalls  bool
	nodeOptions string
	keep        bool
}

// machine describes where the numbers were taken.
type machine struct {
	CPU        string  `json:"cpu"`
	Cores      int     `json:"cores"`
	MemoryGiB  float64 `json:"memoryGiB"`
	GoVersion  string  `json:"goVersion"`
	Node       string  `json:"node"`
	Kernel     string  `json:"kernel"`
	Date       string  `json:"date"`
	Command    string  `json:"command"`
	LoadBefore float64 `json:"loadAverageBefore"`
	LoadAfter  float64 `json:"loadAverageAfter"`
	Seconds    float64 `json:"benchSeconds"`
}

// results is what results.json holds.
type results struct {
	Machine machine `json:"machine"`
	// Runs are every measurement; Summary the median run of each variant and size.
	Runs    []measurement `json:"runs"`
	Summary []measurement `json:"summary"`
	// PerService is the cost of each added service between consecutive sizes.
	PerService []increment `json:"perService"`
	// Ratios compare the project with the baseline at each size.
	Ratios []ratio `json:"ratios"`
}

func run(cfg config) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cdkJSON, err := filepath.Abs(cfg.cdkJSON)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "golden-pipelines-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	m := describeMachine()
	m.Command = "bench " + strings.Join(os.Args[1:], " ")
	began := time.Now()
	fmt.Printf("machine: %s, %d cores, %.1f GiB; %s; node %s; load average %.2f\n", m.CPU, m.Cores, m.MemoryGiB, m.GoVersion, m.Node, m.LoadBefore)

	var all []measurement
	// Runs of the variants alternate, so a change in the machine's load (other processes)
	// disturbs them alike.
	for _, n := range cfg.sizes {
		for r := 0; r < cfg.runs; r++ {
			for _, v := range cfg.variants {
				meas, err := runOne(exe, cdkJSON, tmp, cfg, v, n, r)
				if err != nil {
					return fmt.Errorf("%s, %d services, run %d: %w", v, n, r+1, err)
				}
				fmt.Fprintf(os.Stderr, "  %-22s %4d services  run %d: start-up %5.1fs  construct %6.1fs  synth %6.1fs  Go %5.0f MiB  node %6.0f MiB\n",
					v, n, r+1, meas.StartupSeconds, meas.ConstructSeconds, meas.SynthSeconds, mib(meas.GoMaxRSSKiB), mib(meas.NodeMaxRSSKiB))
				all = append(all, *meas)
			}
		}
	}
	m.LoadAfter = loadAverage()
	m.Seconds = time.Since(began).Seconds()
	res := results{Machine: m, Runs: all, Summary: summarize(all, cfg.variants, cfg.sizes)}
	res.PerService = increments(res.Summary, cfg.variants, cfg.sizes)
	res.Ratios = ratios(res.Summary, cfg.sizes)
	printReport(os.Stdout, res)
	if cfg.profile != "" {
		for _, meas := range res.Summary {
			file := filepath.Join(cfg.profile, fmt.Sprintf("node-%s-%d-%d.cpuprofile", meas.Variant, meas.Services, meas.Run))
			if err := printProfile(os.Stdout, file); err != nil {
				return err
			}
		}
		fmt.Printf("\nGo profiles: go tool pprof -top %s\n", filepath.Join(cfg.profile, "go-*.pprof"))
	}
	return writeOutputs(cfg.out, res)
}

// runOne runs one child: a fresh process, so a fresh jsii runtime and fresh peak-RSS counters.
func runOne(exe, cdkJSON, tmp string, cfg config, variant string, n, run int) (*measurement, error) {
	name := fmt.Sprintf("%s-%d-%d", variant, n, run+1)
	outdir := filepath.Join(tmp, name)
	if cfg.keep {
		outdir = filepath.Join(cfg.out, "assemblies", name)
		os.RemoveAll(outdir)
	}
	result := filepath.Join(tmp, name+".json")
	args := []string{childCommand, "-variant", variant, "-n", strconv.Itoa(n), "-outdir", outdir, "-cdk-json", cdkJSON, "-result", result}
	nodeOptions, profileEnv := cfg.nodeOptions, ""
	if nodeOptions == "" {
		nodeOptions = os.Getenv("NODE_OPTIONS")
	}
	if cfg.profile != "" {
		dir, err := filepath.Abs(cfg.profile)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		args = append(args, "-cpuprofile", filepath.Join(dir, "go-"+name+".pprof"))
		// Not --cpu-prof: NODE_OPTIONS reaches jsii's launcher too, which forwards every signal
		// to the kernel, SIGPROF of its own profiler included, and that kills the kernel. The
		// script profiles the kernel alone.
		script := filepath.Join(dir, "jsii-kernel-cpuprofile.js")
		if err := os.WriteFile(script, []byte(kernelProfiler), 0o644); err != nil {
			return nil, err
		}
		if !strings.Contains(nodeOptions, "max-old-space-size") {
			nodeOptions += " --max-old-space-size=4069" // what jsii sets when NODE_OPTIONS is empty
		}
		nodeOptions += " --require=" + script
		profileEnv = "BENCH_CPUPROFILE=" + filepath.Join(dir, "node-"+name+".cpuprofile")
	}
	cmd := exec.Command(exe, args...)
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CDK_VALIDATION=") && !strings.HasPrefix(kv, "NODE_OPTIONS=") && !strings.HasPrefix(kv, "JSII_DEBUG=") {
			env = append(env, kv)
		}
	}
	// The CDK reads CDK_VALIDATION in the Node process, which inherits the environment the
	// child starts with.
	if !validates(variant) {
		env = append(env, "CDK_VALIDATION=false")
	}
	if strings.TrimSpace(nodeOptions) != "" {
		env = append(env, "NODE_OPTIONS="+strings.TrimSpace(nodeOptions))
	}
	if profileEnv != "" {
		env = append(env, profileEnv)
	}
	cmd.Env = env
	cmd.Stdout = os.Stderr
	var calls map[string]int
	var counted chan struct{}
	if cfg.countCalls {
		cmd.Env = append(cmd.Env, "JSII_DEBUG=1")
		stderr, err := cmd.StderrPipe()
		if err != nil {
			return nil, err
		}
		calls, counted = map[string]int{}, make(chan struct{})
		go func() {
			countRequests(stderr, calls)
			close(counted)
		}()
	} else {
		cmd.Stderr = os.Stderr
	}
	load := loadAverage()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	if counted != nil {
		<-counted
	}
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("child failed: %v", err)
	}
	elapsed := time.Since(start).Seconds()
	b, err := os.ReadFile(result)
	if err != nil {
		return nil, err
	}
	var meas measurement
	if err := json.Unmarshal(b, &meas); err != nil {
		return nil, err
	}
	meas.Run, meas.ProcessSeconds, meas.LoadAverage, meas.Calls = run+1, elapsed, load, calls
	if !cfg.keep {
		os.RemoveAll(outdir)
	}
	return &meas, nil
}

// countRequests counts the requests the jsii kernel logs with JSII_DEBUG ("> {…}" lines): by
// kind (api) and by kind and type or member.
func countRequests(r io.Reader, calls map[string]int) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Text()
		i := strings.Index(line, "> {")
		if i < 0 {
			continue
		}
		var req struct {
			API      string `json:"api"`
			FQN      string `json:"fqn"`
			Method   string `json:"method"`
			Property string `json:"property"`
			ObjRef   struct {
				Ref string `json:"$jsii.byref"`
			} `json:"objref"`
		}
		if json.Unmarshal([]byte(line[i+2:]), &req) != nil || req.API == "" {
			continue
		}
		calls["all"]++
		calls["api:"+req.API]++
		target := req.FQN
		if target == "" {
			target = strings.SplitN(req.ObjRef.Ref, "@", 2)[0]
		}
		member := req.Method + req.Property
		if member != "" {
			target += "." + member
		}
		if target != "" {
			calls[req.API+":"+target]++
		}
	}
}

func describeMachine() machine {
	m := machine{Cores: runtime.NumCPU(), GoVersion: runtime.Version(), Date: time.Now().UTC().Format(time.RFC3339), LoadBefore: loadAverage()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	m.MemoryGiB = float64(statusLine("/proc/meminfo", "MemTotal")) / (1 << 20)
	if out, err := exec.Command("node", "--version").Output(); err == nil {
		m.Node = strings.TrimSpace(string(out))
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(b))
	}
	return m
}

func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// statusLine reads a "<key>: <n> kB" line of a /proc file.
func statusLine(path, key string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, key+":"); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

func mib(kib int64) float64 { return float64(kib) / 1024 }

// kernelProfiler is loaded into every Node process by NODE_OPTIONS=--require and profiles the
// jsii kernel (node … lib/program.js) only, sampling every millisecond, into $BENCH_CPUPROFILE
// (a .cpuprofile, which Chrome DevTools and speedscope open).
const kernelProfiler = `if ((process.argv[1] || "").endsWith("program.js") && process.env.BENCH_CPUPROFILE) {
  const inspector = require("inspector");
  const fs = require("fs");
  const session = new inspector.Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 1000 });
  session.post("Profiler.start");
  process.on("exit", () => {
    session.post("Profiler.stop", (err, res) => {
      if (!err) fs.writeFileSync(process.env.BENCH_CPUPROFILE, JSON.stringify(res.profile));
    });
  });
}
`
