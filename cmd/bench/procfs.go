package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// nodePeakRSS returns the peak resident set size (VmHWM, KiB) of the jsii kernel process and of
// jsii's launcher, both descendants of pid. jsii-runtime-go starts `node bin/jsii-runtime.js`,
// which starts the kernel as `node … lib/program.js` and forwards its pipes; the kernel holds
// the construct tree. Linux only (it reads /proc); zeros elsewhere.
func nodePeakRSS(pid int) (kernel, launcher int64) {
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
	for p := range parents {
		if !descends(p) {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p), "cmdline"))
		args := strings.Split(string(cmd), "\x00")
		hwm := statusKiB(p, "VmHWM")
		for _, a := range args {
			switch {
			case strings.HasSuffix(a, "program.js"):
				kernel = max(kernel, hwm)
			case strings.HasSuffix(a, "jsii-runtime.js"):
				launcher = max(launcher, hwm)
			}
		}
	}
	return kernel, launcher
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
