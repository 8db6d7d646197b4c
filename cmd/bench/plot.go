package main

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// Colors of the variants in the plot.
var colors = map[string]string{
	Project: "#d62728", ProjectNoValidation: "#1f77b4", Baseline: "#2ca02c", BaselineValidation: "#9467bd", ProjectStaged: "#ff7f0e",
}

// series is one line of a panel.
type series struct {
	name, color string
	// dashed lines are the Go process, dotted ones CPU time; square markers the baseline.
	dashed, dotted, square bool
	x, y                   []float64
}

// plot draws two panels against the number of services: the app's time (construct + synth;
// wall solid, CPU of the Go and Node processes dotted) and the peak RSS of the jsii Node process
// (solid) and of the Go process (dashed), one color per variant. It is plain SVG, so it renders on any Git host and needs no plotting library.
func plot(res results) string {
	var timeLines, memLines []series
	var variants []string
	for _, m := range res.Summary {
		if !contains(variants, m.Variant) {
			variants = append(variants, m.Variant)
		}
	}
	for _, v := range variants {
		square := v == Baseline || v == BaselineValidation
		t := series{name: v + " wall", color: colors[v], square: square}
		cpu := series{name: v + " CPU", color: colors[v], dotted: true, square: square}
		node := series{name: v + " node", color: colors[v], square: square}
		gos := series{name: v + " Go", color: colors[v], dashed: true, square: square}
		for _, m := range res.Summary {
			if m.Variant != v {
				continue
			}
			n := float64(m.Services)
			t.x, t.y = append(t.x, n), append(t.y, m.TotalSeconds)
			cpu.x, cpu.y = append(cpu.x, n), append(cpu.y, m.CPUSeconds)
			node.x, node.y = append(node.x, n), append(node.y, mib(m.NodeMaxRSSKiB))
			gos.x, gos.y = append(gos.x, n), append(gos.y, mib(m.GoMaxRSSKiB))
		}
		timeLines = append(timeLines, t, cpu)
		memLines = append(memLines, node, gos)
	}
	const width, height = 980, 450
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	panel(&b, 70, 40, 380, 290, "construct + synth (s): wall solid, CPU dotted", timeLines, true)
	panel(&b, 570, 40, 380, 290, "peak RSS (MiB): jsii Node solid, Go dashed", memLines, true)
	// Legend.
	x := 70.0
	for _, v := range variants {
		fmt.Fprintf(&b, `<line x1="%.0f" y1="385" x2="%.0f" y2="385" stroke="%s" stroke-width="2.5"/>`, x, x+24, colors[v])
		if v == Baseline || v == BaselineValidation {
			fmt.Fprintf(&b, `<rect x="%.1f" y="381.5" width="7" height="7" fill="white" stroke="%s" stroke-width="1.5"/>`, x+8.5, colors[v])
		}
		fmt.Fprintf(&b, `<text x="%.0f" y="389">%s</text>`+"\n", x+30, html.EscapeString(v))
		x += 60 + 7*float64(len(v))
	}
	m := res.Machine
	fmt.Fprintf(&b, `<text x="70" y="415" fill="#555" font-size="11">%s</text>`+"\n", html.EscapeString(m.Command))
	fmt.Fprintf(&b, `<text x="70" y="432" fill="#555" font-size="11">%s, %d cores, %.0f GiB, %s, Node %s, %s, load average %.1f to %.1f</text>`+"\n",
		html.EscapeString(m.CPU), m.Cores, m.MemoryGiB, m.GoVersion, html.EscapeString(m.Node), m.Date, m.LoadBefore, m.LoadAfter)
	b.WriteString("</svg>\n")
	return b.String()
}

// panel draws axes, ticks, a title and the lines in the box at (x0, y0) of size w×h.
func panel(b *strings.Builder, x0, y0, w, h float64, title string, lines []series, integerX bool) {
	maxX, maxY := 1.0, 1.0
	for _, s := range lines {
		for i := range s.x {
			maxX, maxY = math.Max(maxX, s.x[i]), math.Max(maxY, s.y[i])
		}
	}
	xTicks, yTicks := ticks(maxX, integerX), ticks(maxY, false)
	maxX, maxY = xTicks[len(xTicks)-1], yTicks[len(yTicks)-1]
	px := func(v float64) float64 { return x0 + v/maxX*w }
	py := func(v float64) float64 { return y0 + h - v/maxY*h }
	fmt.Fprintf(b, `<text x="%.0f" y="%.0f" font-weight="bold">%s</text>`+"\n", x0, y0-14, html.EscapeString(title))
	for _, t := range yTicks {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e5e5e5"/>`, x0, py(t), x0+w, py(t))
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`+"\n", x0-6, py(t)+4, label(t))
	}
	for _, t := range xTicks {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#999"/>`, px(t), y0+h, px(t), y0+h+4)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", px(t), y0+h+18, label(t))
	}
	fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#999"/>`+"\n", x0, y0, w, h)
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">services</text>`+"\n", x0+w/2, y0+h+34)
	for _, s := range lines {
		var pts []string
		for i := range s.x {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(s.x[i]), py(s.y[i])))
		}
		dash := ""
		switch {
		case s.dashed:
			dash = ` stroke-dasharray="6 4"`
		case s.dotted:
			dash = ` stroke-dasharray="2 3"`
		}
		fmt.Fprintf(b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s><title>%s</title></polyline>`+"\n",
			strings.Join(pts, " "), s.color, dash, html.EscapeString(s.name))
		for i := range s.x {
			tip := fmt.Sprintf("<title>%s: %s at %s services</title>", html.EscapeString(s.name), label(s.y[i]), label(s.x[i]))
			if s.square {
				fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="7" height="7" fill="white" stroke="%s" stroke-width="1.5">%s</rect>`+"\n",
					px(s.x[i])-3.5, py(s.y[i])-3.5, s.color, tip)
			} else {
				fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s">%s</circle>`+"\n", px(s.x[i]), py(s.y[i]), s.color, tip)
			}
		}
	}
}

// ticks returns 0 and round steps (1, 2 or 5 times a power of ten; whole numbers if integer)
// up to at least max, at most seven of them.
func ticks(max float64, integer bool) []float64 {
	if max <= 0 {
		max = 1
	}
	pow := math.Pow(10, math.Floor(math.Log10(max)))
	step := pow
	for _, m := range []float64{0.1, 0.2, 0.5, 1, 2, 5} {
		if max/(pow*m) <= 6 {
			step = pow * m
			break
		}
	}
	if integer {
		step = math.Max(step, 1)
	}
	var out []float64
	for v := 0.0; ; v += step {
		out = append(out, v)
		if v >= max-1e-9 {
			return out
		}
	}
}

func label(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	if math.Abs(v) < 10 {
		return fmt.Sprintf("%.2g", v)
	}
	return fmt.Sprintf("%.0f", v)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
