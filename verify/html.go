package verify

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// WriteHTML writes the report as one self-contained HTML page: inline CSS
// and inline SVG, no scripts, nothing fetched. It holds the summary table
// (and the corpus statistics), the KL of every compared position per
// prompt/window on a log scale with the KL-mean threshold line, and the
// histogram of Δp = p_model(next) - p_ref(next).
func (r *Report) WriteHTML(w io.Writer) error {
	var b strings.Builder
	e := html.EscapeString
	verdict, vclass := "PASS", "pass"
	if !r.Pass {
		verdict, vclass = "FAIL", "fail"
	}
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	fmt.Fprintf(&b, "<title>ct2go verify: %s</title>\n", e(r.Model))
	b.WriteString(`<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
h1 .pass{color:#1a7f37}h1 .fail{color:#cf222e}
table{border-collapse:collapse;font-size:13px;margin:1em 0}
th,td{border:1px solid #ccc;padding:3px 7px;text-align:right;font-variant-numeric:tabular-nums}
th{background:#f3f3f3}td.name,th.name{text-align:left}
tr.fail td{background:#ffebe9}tr.all td{font-weight:600}
.meta{color:#555;font-size:14px}.meta code{color:#222}
ul.failures{color:#cf222e}
figure{margin:1em 0;display:inline-block;vertical-align:top}
figcaption{font-size:13px;color:#444}
svg{font-family:inherit;font-size:11px;background:#fff}
pre{font-size:13px;background:#f6f8fa;padding:.8em;white-space:pre-wrap}
</style>
</head>
<body>
`)
	fmt.Fprintf(&b, "<h1>ct2go verify: <span class=\"%s\">%s</span></h1>\n", vclass, verdict)
	fmt.Fprintf(&b, "<p class=\"meta\">model <code>%s</code> (weights %s, compute %s)<br>reference <code>%s</code>", e(r.Model), e(r.WeightDType), e(r.Compute), e(r.Reference))
	if r.ReferenceSource != "" {
		fmt.Fprintf(&b, "<br>%s", e(r.ReferenceSource))
	}
	fmt.Fprintf(&b, "<br>thresholds: %s</p>\n", e(r.thresholdText()))
	var fails []string
	for _, p := range r.Prompts {
		for _, f := range p.Failures {
			fails = append(fails, p.Name+": "+f)
		}
	}
	for _, f := range r.OverallFailures {
		fails = append(fails, "overall: "+f)
	}
	for _, wr := range r.Warnings {
		fmt.Fprintf(&b, "<p class=\"meta\">warning: %s</p>\n", e(wr))
	}
	if len(fails) > 0 {
		b.WriteString("<ul class=\"failures\">\n")
		for _, f := range fails {
			fmt.Fprintf(&b, "<li>%s</li>\n", e(f))
		}
		b.WriteString("</ul>\n")
	}

	b.WriteString("<h2>Summary</h2>\n<table>\n<tr>")
	first := "prompt"
	if r.Corpus != nil {
		first = "window"
	}
	fmt.Fprintf(&b, "<th class=\"name\">%s</th>", first)
	for _, h := range []string{"tokens", "compared", "max |Δ|", "mean |Δ|", "KL mean", "KL p99", "KL max", "top-1", "top-5", "PPL ref", "PPL model", "ratio", ""} {
		fmt.Fprintf(&b, "<th>%s</th>", e(h))
	}
	b.WriteString("</tr>\n")
	row := func(name string, tokens int, s *Stats, pass bool, class string) {
		if !pass {
			class += " fail"
		}
		status := "ok"
		if !pass {
			status = "FAIL"
		}
		fmt.Fprintf(&b, "<tr class=\"%s\"><td class=\"name\">%s</td><td>%d</td><td>%d</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%d/%d</td><td>%.3f</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
			strings.TrimSpace(class), e(name), tokens, s.Positions, e3(s.MaxAbs), e3(s.MeanAbs), e3(s.KLMean), e3(s.KLP99), e3(s.KLMax),
			s.Top1, s.Positions, s.Top5Overlap, pplString(s.PPLRef, "%.4g"), pplString(s.PPLModel, "%.4g"), pplString(s.PPLRatio, "%.5f"), status)
	}
	total := 0
	for i := range r.Prompts {
		p := &r.Prompts[i]
		row(p.Name, p.Tokens, &p.Stats, p.Pass, "")
		total += p.Tokens
	}
	row("all", total, &r.Overall, len(r.OverallFailures) == 0, "all")
	b.WriteString("</table>\n")
	if r.Corpus != nil {
		var t strings.Builder
		r.Corpus.writeText(&t)
		fmt.Fprintf(&b, "<h2>Corpus statistics</h2>\n<pre>%s</pre>\n", e(t.String()))
	}

	b.WriteString("<h2>KL(ref ‖ model) per position</h2>\n")
	b.WriteString("<p class=\"meta\">log scale; the dashed red line is the KL-mean threshold; values below the axis floor sit on it, red marks are NaN/Inf model logits.</p>\n")
	lo, hi := klRange(r)
	for i := range r.Prompts {
		p := &r.Prompts[i]
		fmt.Fprintf(&b, "<figure><figcaption>%s: KL mean %s, max %s</figcaption>\n", e(p.Name), e3(p.KLMean), e3(p.KLMax))
		klChart(&b, p, lo, hi, r.Thresholds.MaxKLMean)
		b.WriteString("</figure>\n")
	}

	b.WriteString("<h2>Δp histogram</h2>\n")
	b.WriteString("<p class=\"meta\">Δp = p<sub>model</sub>(next token) − p<sub>ref</sub>(next token), over every compared position that has a next token.</p>\n")
	var dps []float64
	for _, p := range r.Prompts {
		dps = append(dps, p.DeltaP...)
	}
	fmt.Fprintf(&b, "<figure><figcaption>%d positions</figcaption>\n", len(dps))
	histogram(&b, dps)
	b.WriteString("</figure>\n</body>\n</html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// thresholdText is the thresholds line of the text report.
func (r *Report) thresholdText() string {
	th := r.Thresholds
	var parts []string
	if th.MaxKLMean < 0 {
		parts = append(parts, "KL mean not checked")
	} else {
		parts = append(parts, fmt.Sprintf("KL mean ≤ %.3g (per prompt and overall)", th.MaxKLMean))
	}
	if th.MinTop1 >= 0 {
		parts = append(parts, fmt.Sprintf("top-1 ≥ %.1f%% (overall)", 100*th.MinTop1))
	} else {
		parts = append(parts, "top-1 not checked")
	}
	if th.MaxAbs < 0 {
		parts = append(parts, "max |Δ| not checked")
	} else {
		parts = append(parts, fmt.Sprintf("max |Δ| ≤ %.3g", th.MaxAbs))
	}
	return strings.Join(parts, ", ") + "; NaN/Inf always fail"
}

// klRange is the shared log10 y-range (whole decades) of the KL charts: from
// the smallest positive KL (at least 1e-12, below which float32 rounding
// rules) to the largest KL or the threshold.
func klRange(r *Report) (lo, hi int) {
	minv, maxv := math.Inf(1), 0.0
	for _, p := range r.Prompts {
		for _, k := range p.KLs {
			if k > 0 && !math.IsInf(k, 0) {
				minv = math.Min(minv, k)
				maxv = math.Max(maxv, k)
			}
		}
	}
	if t := r.Thresholds.MaxKLMean; t > 0 {
		minv = math.Min(minv, t)
		maxv = math.Max(maxv, t)
	}
	if math.IsInf(minv, 1) {
		minv, maxv = 1e-12, 1e-6
	}
	minv = math.Max(minv, 1e-12)
	lo = int(math.Floor(math.Log10(minv)))
	hi = int(math.Ceil(math.Log10(maxv)))
	if hi <= lo {
		hi = lo + 1
	}
	return lo, hi
}

const (
	chartW, chartH                 = 520, 200
	padL, padR, padT, padB float64 = 52, 12, 10, 30
)

// klChart draws one prompt's KL per position.
func klChart(b *strings.Builder, p *PromptReport, lo, hi int, threshold float64) {
	n := len(p.KLs)
	pw, ph := chartW-padL-padR, chartH-padT-padB
	x := func(i int) float64 {
		if n <= 1 {
			return padL + pw/2
		}
		return padL + pw*float64(i)/float64(n-1)
	}
	y := func(v float64) float64 {
		l := math.Log10(math.Max(v, math.Pow(10, float64(lo))))
		return padT + ph*(1-(l-float64(lo))/float64(hi-lo))
	}
	fmt.Fprintf(b, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"KL per position of %s\">\n", chartW, chartH, chartW, chartH, html.EscapeString(p.Name))
	fmt.Fprintf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#999\"/>\n", padL, padT, pw, ph)
	step := 1
	if hi-lo > 8 {
		step = (hi - lo + 7) / 8
	}
	for d := lo; d <= hi; d += step {
		yy := y(math.Pow(10, float64(d)))
		fmt.Fprintf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>", padL, yy, padL+pw, yy)
		fmt.Fprintf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">1e%d</text>\n", padL-4, yy+4, d)
	}
	// x ticks: about 5, at round positions.
	for _, t := range ticks(p.From, p.From+n-1, 5) {
		xx := x(t - p.From)
		fmt.Fprintf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>", xx, padT+ph, xx, padT+ph+4)
		fmt.Fprintf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d</text>\n", xx, padT+ph+16, t)
	}
	fmt.Fprintf(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">position</text>\n", padL+pw/2, chartH-2)
	var pts []string
	var bad []int
	for i, k := range p.KLs {
		if math.IsNaN(k) || math.IsInf(k, 0) {
			bad = append(bad, i)
			continue
		}
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(k)))
	}
	if len(pts) > 0 {
		fmt.Fprintf(b, "<polyline fill=\"none\" stroke=\"#0969da\" stroke-width=\"1.2\" points=\"%s\"/>\n", strings.Join(pts, " "))
		if len(pts) <= 64 {
			for _, pt := range pts {
				xy := strings.SplitN(pt, ",", 2)
				fmt.Fprintf(b, "<circle cx=\"%s\" cy=\"%s\" r=\"2\" fill=\"#0969da\"/>", xy[0], xy[1])
			}
			b.WriteString("\n")
		}
	}
	for _, i := range bad {
		fmt.Fprintf(b, "<line class=\"nonfinite\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#cf222e\" stroke-width=\"2\"/>\n", x(i), padT, x(i), padT+ph)
	}
	if threshold > 0 {
		yy := y(threshold)
		fmt.Fprintf(b, "<line class=\"threshold\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#cf222e\" stroke-dasharray=\"6 4\"/>", padL, yy, padL+pw, yy)
		fmt.Fprintf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#cf222e\">KL mean limit %.3g</text>\n", padL+pw-4, yy-4, threshold)
	}
	b.WriteString("</svg>\n")
}

// ticks picks about k round values in [a, b].
func ticks(a, b, k int) []int {
	if b <= a {
		return []int{a}
	}
	raw := float64(b-a) / float64(k)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	s := int(math.Max(1, step))
	var out []int
	for t := (a + s - 1) / s * s; t <= b; t += s {
		out = append(out, t)
	}
	return out
}

// histogram draws Δp in 41 bins symmetric around 0.
func histogram(b *strings.Builder, v []float64) {
	const bins = 41
	m := 0.0
	for _, x := range v {
		if !math.IsNaN(x) {
			m = math.Max(m, math.Abs(x))
		}
	}
	if m == 0 {
		m = 1e-6
	}
	counts := make([]int, bins)
	maxc := 0
	for _, x := range v {
		if math.IsNaN(x) {
			continue
		}
		i := int(math.Floor((x + m) / (2 * m) * bins))
		i = min(max(i, 0), bins-1)
		counts[i]++
		maxc = max(maxc, counts[i])
	}
	pw, ph := chartW-padL-padR, chartH-padT-padB
	fmt.Fprintf(b, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"histogram of delta p\">\n", chartW, chartH, chartW, chartH)
	fmt.Fprintf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#999\"/>\n", padL, padT, pw, ph)
	bw := pw / bins
	for i, c := range counts {
		if c == 0 || maxc == 0 {
			continue
		}
		h := ph * float64(c) / float64(maxc)
		fmt.Fprintf(b, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#0969da\"><title>%d</title></rect>", padL+bw*float64(i)+0.5, padT+ph-h, bw-1, h, c)
	}
	b.WriteString("\n")
	for _, f := range []float64{-1, -0.5, 0, 0.5, 1} {
		xx := padL + pw*(f+1)/2
		anchor := "middle"
		if f == 1 {
			anchor = "end"
		}
		fmt.Fprintf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%.2g%%</text>", xx, padT+ph+16, anchor, 100*f*m)
	}
	fmt.Fprintf(b, "\n<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%d</text><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">0</text>\n", padL-4, padT+8, maxc, padL-4, padT+ph)
	fmt.Fprintf(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">Δp</text>\n", padL+pw/2, chartH-2)
	b.WriteString("</svg>\n")
}
