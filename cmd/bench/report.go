package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

// summarize picks, for each variant and size, the median run by total time.
func summarize(all []measurement, variants []string, sizes []int) []measurement {
	var out []measurement
	for _, n := range sizes {
		for _, v := range variants {
			var runs []measurement
			for _, m := range all {
				if m.Variant == v && m.Services == n {
					runs = append(runs, m)
				}
			}
			if len(runs) == 0 {
				continue
			}
			sort.Slice(runs, func(i, j int) bool { return runs[i].TotalSeconds < runs[j].TotalSeconds })
			out = append(out, runs[(len(runs)-1)/2])
		}
	}
	return out
}

func find(summary []measurement, variant string, n int) (measurement, bool) {
	for _, m := range summary {
		if m.Variant == variant && m.Services == n {
			return m, true
		}
	}
	return measurement{}, false
}

// increment is the cost of each service added between two sizes.
type increment struct {
	Variant string `json:"variant"`
	From    int    `json:"from"`
	To      int    `json:"to"`
	// SecondsPerService: added total (construct + synth) time per added service.
	SecondsPerService float64 `json:"secondsPerService"`
	// CPUSecondsPerService: added CPU time (Go and Node) per added service.
	CPUSecondsPerService float64 `json:"cpuSecondsPerService"`
	// NodeMiBPerService, GoMiBPerService: added peak RSS per added service.
	NodeMiBPerService float64 `json:"nodeMiBPerService"`
	GoMiBPerService   float64 `json:"goMiBPerService"`
	// ResourcesPerService: added resources per added service.
	ResourcesPerService float64 `json:"resourcesPerService"`
}

func increments(summary []measurement, variants []string, sizes []int) []increment {
	var out []increment
	for _, v := range variants {
		for i := 1; i < len(sizes); i++ {
			a, okA := find(summary, v, sizes[i-1])
			b, okB := find(summary, v, sizes[i])
			if !okA || !okB {
				continue
			}
			dn := float64(b.Services - a.Services)
			out = append(out, increment{
				Variant: v, From: a.Services, To: b.Services,
				SecondsPerService:    (b.TotalSeconds - a.TotalSeconds) / dn,
				CPUSecondsPerService: (b.CPUSeconds - a.CPUSeconds) / dn,
				NodeMiBPerService:    mib(b.NodeMaxRSSKiB-a.NodeMaxRSSKiB) / dn,
				GoMiBPerService:      mib(b.GoMaxRSSKiB-a.GoMaxRSSKiB) / dn,
				ResourcesPerService:  float64(b.Resources-a.Resources) / dn,
			})
		}
	}
	return out
}

// ratio compares the project with the baseline at one size, validation off (and on, when both
// were measured). A ratio of 1.10 is 10% overhead.
type ratio struct {
	Services int `json:"services"`
	// TimeNoValidation: project-novalidation / baseline, total (construct + synth) time.
	TimeNoValidation float64 `json:"timeNoValidation,omitempty"`
	// TimeValidation: project / baseline-validation.
	TimeValidation float64 `json:"timeValidation,omitempty"`
	// CPUNoValidation, CPUValidation: the same ratios on CPU time.
	CPUNoValidation float64 `json:"cpuNoValidation,omitempty"`
	CPUValidation   float64 `json:"cpuValidation,omitempty"`
	// NodeRSSNoValidation: project-novalidation / baseline, peak RSS of the jsii kernel.
	NodeRSSNoValidation float64 `json:"nodeRSSNoValidation,omitempty"`
	// ResourcesNoValidation: project-novalidation / baseline, resources (1 when the baseline
	// declares as many).
	Resources float64 `json:"resources,omitempty"`
	// TemplateBytes: project-novalidation / baseline.
	TemplateBytes float64 `json:"templateBytes,omitempty"`
}

func ratios(summary []measurement, sizes []int) []ratio {
	var out []ratio
	for _, n := range sizes {
		r := ratio{Services: n}
		if p, ok := find(summary, ProjectNoValidation, n); ok {
			if b, ok := find(summary, Baseline, n); ok {
				r.TimeNoValidation = p.TotalSeconds / b.TotalSeconds
				r.CPUNoValidation = p.CPUSeconds / b.CPUSeconds
				r.NodeRSSNoValidation = float64(p.NodeMaxRSSKiB) / float64(b.NodeMaxRSSKiB)
				r.Resources = float64(p.Resources) / float64(b.Resources)
				r.TemplateBytes = float64(p.TemplateBytes) / float64(b.TemplateBytes)
			}
		}
		if p, ok := find(summary, Project, n); ok {
			if b, ok := find(summary, BaselineValidation, n); ok {
				r.TimeValidation = p.TotalSeconds / b.TotalSeconds
				r.CPUValidation = p.CPUSeconds / b.CPUSeconds
			}
		}
		if r != (ratio{Services: n}) {
			out = append(out, r)
		}
	}
	return out
}

func printReport(w io.Writer, res results) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "variant\tservices\tstacks\tresources\ttemplates MB\tstart-up s\tconstruct s\tsynth s\ttotal s\tCPU s\tprocess s\tGo RSS MiB\tnode RSS MiB\tload\t")
	for _, m := range res.Summary {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.0f\t%.0f\t%.1f\t\n", m.Variant, m.Services, m.Stacks, m.Resources,
			float64(m.TemplateBytes)/1e6, m.StartupSeconds, m.ConstructSeconds, m.SynthSeconds, m.TotalSeconds, m.CPUSeconds, m.ProcessSeconds,
			mib(m.GoMaxRSSKiB), mib(m.NodeMaxRSSKiB), m.LoadAverage)
	}
	tw.Flush()
	if len(res.PerService) > 0 {
		fmt.Fprintln(w, "\nper added service:")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "variant\tservices\ts/service\tCPU s/service\tnode MiB/service\tGo MiB/service\tresources/service\t")
		for _, i := range res.PerService {
			fmt.Fprintf(tw, "%s\t%d→%d\t%.2f\t%.2f\t%.1f\t%.1f\t%.1f\t\n", i.Variant, i.From, i.To, i.SecondsPerService, i.CPUSecondsPerService,
				i.NodeMiBPerService, i.GoMiBPerService, i.ResourcesPerService)
		}
		tw.Flush()
	}
	if len(res.Ratios) > 0 {
		fmt.Fprintln(w, "\nproject / baseline:")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "services\ttime (validation off)\tCPU (off)\ttime (validation on)\tCPU (on)\tnode RSS\tresources\ttemplate bytes\t")
		opt := func(v float64) string {
			if v == 0 {
				return "-"
			}
			return fmt.Sprintf("%.3f", v)
		}
		for _, r := range res.Ratios {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Services, opt(r.TimeNoValidation), opt(r.CPUNoValidation),
				opt(r.TimeValidation), opt(r.CPUValidation), opt(r.NodeRSSNoValidation),
				opt(r.Resources), opt(r.TemplateBytes))
		}
		tw.Flush()
		for _, r := range res.Ratios {
			if r.Resources != 0 && r.Resources != 1 {
				fmt.Fprintf(w, "WARNING: at %d services the project declares %.3f times the baseline's resources: the ratios compare different apps (update cmd/bench/baseline)\n",
					r.Services, r.Resources)
			}
		}
	}
	for _, m := range res.Summary {
		if len(m.Calls) == 0 {
			continue
		}
		fmt.Fprintf(w, "\njsii requests, %s, %d services: %d\n", m.Variant, m.Services, m.Calls["all"])
		type kv struct {
			k string
			v int
		}
		var top []kv
		for k, v := range m.Calls {
			if k != "all" {
				top = append(top, kv{k, v})
			}
		}
		sort.Slice(top, func(i, j int) bool { return top[i].v > top[j].v || top[i].v == top[j].v && top[i].k < top[j].k })
		for i, e := range top {
			if i == 40 {
				break
			}
			fmt.Fprintf(w, "  %8d  %s\n", e.v, e.k)
		}
	}
	fmt.Fprintf(w, "\n%s: %.0f s, load average %.2f before, %.2f after\n", res.Machine.Command, res.Machine.Seconds, res.Machine.LoadBefore, res.Machine.LoadAfter)
}

func writeOutputs(dir string, res results) error {
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "results.csv"))
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.Write([]string{"variant", "services", "run", "stacks", "resources", "template_bytes", "assembly_bytes", "startup_s", "construct_s", "synth_s",
		"total_s", "cpu_s", "process_s", "go_maxrss_kib", "node_maxrss_kib", "node_launcher_maxrss_kib", "children_maxrss_kib", "load_average"})
	ff := func(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }
	for _, m := range res.Runs {
		w.Write([]string{m.Variant, strconv.Itoa(m.Services), strconv.Itoa(m.Run), strconv.Itoa(m.Stacks), strconv.Itoa(m.Resources),
			strconv.FormatInt(m.TemplateBytes, 10), strconv.FormatInt(m.AssemblyBytes, 10), ff(m.StartupSeconds), ff(m.ConstructSeconds),
			ff(m.SynthSeconds), ff(m.TotalSeconds), ff(m.CPUSeconds), ff(m.ProcessSeconds), strconv.FormatInt(m.GoMaxRSSKiB, 10),
			strconv.FormatInt(m.NodeMaxRSSKiB, 10), strconv.FormatInt(m.NodeWrapperMaxRSSKiB, 10), strconv.FormatInt(m.ChildrenMaxRSSKiB, 10),
			ff(m.LoadAverage)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.md"), []byte(markdown(res)), 0o644); err != nil {
		return err
	}
	svg := plot(res)
	if err := os.WriteFile(filepath.Join(dir, "plot.svg"), []byte(svg), 0o644); err != nil {
		return err
	}
	fmt.Printf("wrote results.json, results.csv, results.md and plot.svg to %s\n", dir)
	return nil
}

// replay prints the report of an earlier results.json and writes its outputs to dir.
func replay(file, dir string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var res results
	if err := json.Unmarshal(b, &res); err != nil {
		return fmt.Errorf("%s: %v", file, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	printReport(os.Stdout, res)
	return writeOutputs(dir, res)
}

// markdown renders the summary, the per-service costs and the ratios as Markdown tables, ready
// for the README.
func markdown(res results) string {
	var b strings.Builder
	m := res.Machine
	fmt.Fprintf(&b, "`%s`: %s, %d cores, %.0f GiB, %s, Node %s, %s; load average %.1f before, %.1f after; %.0f s in all.\n\n",
		m.Command, m.CPU, m.Cores, m.MemoryGiB, m.GoVersion, m.Node, m.Date, m.LoadBefore, m.LoadAfter, m.Seconds)
	b.WriteString("| variant | services | stacks | resources | templates MB | start-up s | construct s | synth s | total s | CPU s | Go RSS MiB | node RSS MiB | load |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, r := range res.Summary {
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.0f | %.0f | %.1f |\n", r.Variant, r.Services, r.Stacks,
			r.Resources, float64(r.TemplateBytes)/1e6, r.StartupSeconds, r.ConstructSeconds, r.SynthSeconds, r.TotalSeconds, r.CPUSeconds,
			mib(r.GoMaxRSSKiB), mib(r.NodeMaxRSSKiB), r.LoadAverage)
	}
	if len(res.PerService) > 0 {
		b.WriteString("\n| variant | services | s/service | CPU s/service | node MiB/service | Go MiB/service |\n| --- | --- | ---: | ---: | ---: | ---: |\n")
		for _, i := range res.PerService {
			fmt.Fprintf(&b, "| %s | %d→%d | %.2f | %.2f | %.1f | %.1f |\n", i.Variant, i.From, i.To, i.SecondsPerService, i.CPUSecondsPerService,
				i.NodeMiBPerService, i.GoMiBPerService)
		}
	}
	if len(res.Ratios) > 0 {
		opt := func(v float64) string {
			if v == 0 {
				return "-"
			}
			return fmt.Sprintf("%.2f", v)
		}
		b.WriteString("\n| project ÷ baseline | time, validation off | CPU, off | time, validation on | CPU, on | node RSS | resources | template bytes |\n")
		b.WriteString("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
		for _, r := range res.Ratios {
			fmt.Fprintf(&b, "| %d services | %s | %s | %s | %s | %s | %s | %s |\n", r.Services, opt(r.TimeNoValidation), opt(r.CPUNoValidation),
				opt(r.TimeValidation), opt(r.CPUValidation), opt(r.NodeRSSNoValidation), opt(r.Resources), opt(r.TemplateBytes))
		}
	}
	return b.String()
}
