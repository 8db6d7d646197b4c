package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// nodeProcess is one Node process of the jsii runtime.
type nodeProcess struct {
	pid int
	// kernel is the jsii kernel (node … lib/program.js), which holds the construct tree;
	// otherwise jsii's launcher (node … bin/jsii-runtime.js), which only forwards its pipes.
	kernel bool
}

// jsiiProcesses finds the jsii runtime's Node processes among the descendants of pid:
// jsii-runtime-go starts `node bin/jsii-runtime.js`, which starts the kernel. Linux only (it
// reads /proc); none elsewhere.
func jsiiProcesses(pid int) []nodeProcess {
	parents := map[int]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if pp, ok := parentOf(p); ok {
			parents[p] = pp
		}
	}
	descends := func(p int) bool {
		for i := 0; i < 64 && p > 1; i++ {
			p = parents[p]
			if p == pid {
				return true
			}
		}
		return false
	}
	var out []nodeProcess
	for p := range parents {
		if !descends(p) {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p), "cmdline"))
		for _, a := range strings.Split(string(cmd), "\x00") {
			switch {
			case strings.HasSuffix(a, "program.js"):
				out = append(out, nodeProcess{pid: p, kernel: true})
			case strings.HasSuffix(a, "jsii-runtime.js"):
				out = append(out, nodeProcess{pid: p})
			}
		}
	}
	return out
}

// nodePeakRSS returns the peak resident set size (VmHWM of /proc/<pid>/status, KiB) of the
// jsii kernel and of jsii's launcher among the descendants of pid.
func nodePeakRSS(pid int) (kernel, launcher int64) {
	for _, p := range jsiiProcesses(pid) {
		hwm := statusKiB(p.pid, "VmHWM")
		if p.kernel {
			kernel = max(kernel, hwm)
		} else {
			launcher = max(launcher, hwm)
		}
	}
	return kernel, launcher
}

// cpuSeconds is the CPU time (user + system) used so far by this process and by the jsii
// runtime's Node processes.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	total := 0.0
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		total += float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
	}
	for _, p := range jsiiProcesses(os.Getpid()) {
		total += procCPUSeconds(p.pid)
	}
	return total
}

// procCPUSeconds reads utime + stime of /proc/<pid>/stat, in clock ticks of 1/100 s (USER_HZ,
// which Linux reports /proc times in on every architecture the CDK runs on).
func procCPUSeconds(pid int) float64 {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state): utime is field 14, stime 15
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (u + st) / 100
}

// parentOf reads the parent pid from /proc/<pid>/stat (the field after the parenthesized
// command name, which may itself contain spaces and parentheses).
func parentOf(pid int) (int, bool) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return 0, false
	}
	pp, err := strconv.Atoi(f[1])
	return pp, err == nil
}

// statusKiB reads a "<key>: <n> kB" line of /proc/<pid>/status.
func statusKiB(pid int, key string) int64 {
	return statusLine(filepath.Join("/proc", strconv.Itoa(pid), "status"), key)
}
