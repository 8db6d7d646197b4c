package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
)

// cpuProfile is the part of a V8 .cpuprofile the summary reads.
type cpuProfile struct {
	Nodes []struct {
		ID        int `json:"id"`
		CallFrame struct {
			FunctionName string `json:"functionName"`
			URL          string `json:"url"`
			LineNumber   int    `json:"lineNumber"`
		} `json:"callFrame"`
		Children []int `json:"children"`
	} `json:"nodes"`
	Samples    []int   `json:"samples"`
	TimeDeltas []int64 `json:"timeDeltas"`
}

// profileSummary is where the jsii kernel's CPU time went.
type profileSummary struct {
	TotalSeconds float64
	// Self time by where the code lives: the jsii kernel, aws-cdk-lib's modules, constructs,
	// Node's own code, garbage collection, idle (waiting for the next request from Go).
	ByArea map[string]float64
	// Self time by function; inclusive time by function (each function counted once per
	// sample however often it is on the stack).
	Self, Inclusive map[string]float64
}

// area names where a frame's code lives.
func area(url, fn string) string {
	switch {
	case fn == "(garbage collector)":
		return "garbage collection"
	case fn == "(idle)" || fn == "(program)" || fn == "(root)":
		return fn
	case strings.Contains(url, "/lib/program.js"):
		return "jsii kernel"
	case strings.Contains(url, "/aws-cdk-lib/"):
		rest := url[strings.Index(url, "/aws-cdk-lib/")+len("/aws-cdk-lib/"):]
		if i := strings.Index(rest, "/"); i > 0 {
			return "aws-cdk-lib/" + rest[:i]
		}
		return "aws-cdk-lib"
	case strings.Contains(url, "/constructs/"):
		return "constructs"
	case strings.HasPrefix(url, "node:") || url == "":
		return "node built-ins"
	}
	return "other"
}

func frameName(fn, url string, line int) string {
	if fn == "" {
		fn = "(anonymous)"
	}
	if url == "" {
		return fn
	}
	return fmt.Sprintf("%s %s:%d", fn, path.Base(url), line+1)
}

func summarizeCPUProfile(file string) (*profileSummary, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var p cpuProfile
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	parent := map[int]int{}
	index := map[int]int{}
	for i, n := range p.Nodes {
		index[n.ID] = i
		for _, c := range n.Children {
			parent[c] = n.ID
		}
	}
	s := &profileSummary{ByArea: map[string]float64{}, Self: map[string]float64{}, Inclusive: map[string]float64{}}
	for i, id := range p.Samples {
		if i >= len(p.TimeDeltas) {
			break
		}
		// timeDeltas[i] is the time before sample i; attribute it to that sample.
		sec := float64(p.TimeDeltas[i]) / 1e6
		if sec < 0 {
			continue
		}
		s.TotalSeconds += sec
		n := p.Nodes[index[id]]
		cf := n.CallFrame
		s.ByArea[area(cf.URL, cf.FunctionName)] += sec
		s.Self[frameName(cf.FunctionName, cf.URL, cf.LineNumber)] += sec
		seen := map[string]bool{}
		for cur, ok := id, true; ok; cur, ok = parent[cur] {
			f := p.Nodes[index[cur]].CallFrame
			name := frameName(f.FunctionName, f.URL, f.LineNumber)
			if !seen[name] {
				seen[name] = true
				s.Inclusive[name] += sec
			}
		}
	}
	return s, nil
}

func printTop(w io.Writer, title string, m map[string]float64, total float64, n int) {
	type kv struct {
		k string
		v float64
	}
	var all []kv
	for k, v := range m {
		all = append(all, kv{k, v})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v > all[j].v || all[i].v == all[j].v && all[i].k < all[j].k })
	fmt.Fprintf(w, "  %s:\n", title)
	for i, e := range all {
		if i == n {
			break
		}
		fmt.Fprintf(w, "    %7.2fs %5.1f%%  %s\n", e.v, 100*e.v/total, e.k)
	}
}

// printProfile summarizes a kernel CPU profile: by area, the top functions by self time, and
// the top by inclusive time.
func printProfile(w io.Writer, file string) error {
	s, err := summarizeCPUProfile(file)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\njsii kernel CPU profile %s: %.1fs sampled\n", file, s.TotalSeconds)
	printTop(w, "self time by area", s.ByArea, s.TotalSeconds, 20)
	printTop(w, "self time by function", s.Self, s.TotalSeconds, 25)
	printTop(w, "inclusive time by function", s.Inclusive, s.TotalSeconds, 40)
	return nil
}
