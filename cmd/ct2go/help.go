package main

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/urfave/cli/v2"
)

// helpWidth is the widest line --help prints (TestHelpLayout checks every
// command, so flags added later are held to it too).
const helpWidth = 100

// environment lists the variables ct2go reads, for the top-level help.
var environment = [][2]string{
	{"CT2GO_ISA=LEVEL", "run the compute kernels at LEVEL (generic, avx2, avxvnni, avx512) instead of the best " +
		"this CPU has, e.g. to measure what a CPU without AVX-512 gets; a level the CPU lacks is an error"},
	{"CT2GO_NOSIMD=1", "pure-Go kernels only (the tests' oracle)"},
	{"CT2GO_SPIN=DURATION", "how long idle worker threads spin before parking (default 50us; 0 on busy shared machines)"},
	{"CT2GO_CPUPROFILE=FILE", "write a Go CPU profile of the command to FILE"},
}

// printHelp replaces urfave/cli's templates, which neither wrap flag
// usages nor avoid a second "(default: ...)" after a usage that states its
// own default.
func printHelp(w io.Writer, _ string, data any) {
	var b strings.Builder
	switch d := data.(type) {
	case *cli.App:
		writeWrapped(&b, d.Name+" - "+d.Usage, 2)
		fmt.Fprintf(&b, "\nUsage: %s COMMAND [options] [arguments]\n\nCommands:\n", d.Name)
		width := 0
		for _, c := range d.VisibleCommands() {
			width = max(width, len(c.Name))
		}
		for _, c := range d.VisibleCommands() {
			writeWrapped(&b, fmt.Sprintf("  %-*s  %s", width, c.Name, c.Usage), width+4)
		}
		fmt.Fprintf(&b, "\nGlobal options:\n")
		writeFlags(&b, d.VisibleFlags())
		b.WriteString("\nEnvironment:\n")
		for _, e := range environment {
			writeWrapped(&b, fmt.Sprintf("  %-24s  %s", e[0], e[1]), 28)
		}
		fmt.Fprintf(&b, "\nRun '%s COMMAND --help' for a command's options.\n", d.Name)
	case *cli.Command:
		name := "ct2go " + d.Name
		writeWrapped(&b, name+" - "+d.Usage, 2)
		args := strings.TrimSpace(d.ArgsUsage)
		if args != "" {
			args = " " + args
		}
		fmt.Fprintf(&b, "\nUsage: %s [options]%s\n", name, args)
		if d.Description != "" {
			b.WriteString("\n")
			for _, para := range paragraphs(d.Description) {
				writeWrapped(&b, para, 0)
			}
		}
		b.WriteString("\nOptions:\n")
		writeFlags(&b, d.VisibleFlags())
	default:
		fmt.Fprintf(&b, "%v\n", data)
	}
	io.WriteString(w, b.String())
}

// flagNames is "--model value" / "--force" / "--output_dir, -o value".
func flagNames(f cli.Flag) string {
	var names []string
	for _, n := range f.Names() {
		if len(n) == 1 {
			names = append(names, "-"+n)
		} else {
			names = append(names, "--"+n)
		}
	}
	s := strings.Join(names, ", ")
	if df, ok := f.(cli.DocGenerationFlag); ok && df.TakesValue() {
		s += " value"
		if sf, ok := f.(cli.DocGenerationSliceFlag); ok && sf.IsSliceFlag() {
			s += "…"
		}
	}
	return s
}

// flagUsage is the usage text with the default appended once, and only
// when it says something (not for switches, zero values or empty strings).
func flagUsage(f cli.Flag) string {
	df, ok := f.(cli.DocGenerationFlag)
	if !ok {
		return ""
	}
	u := df.GetUsage()
	if _, req := clearedRequired.Load(f); req {
		u += " (required)"
	}
	if _, isBool := f.(*cli.BoolFlag); isBool || strings.Contains(u, "(default") {
		return u
	}
	switch d := df.GetDefaultText(); d {
	case "", `""`, "0", "false", "[]":
	default:
		u += " (default: " + d + ")"
	}
	return u
}

func writeFlags(b *strings.Builder, flags []cli.Flag) {
	const maxCol = 34
	col := 0
	for _, f := range flags {
		if n := utf8.RuneCountInString(flagNames(f)); n <= maxCol {
			col = max(col, n)
		}
	}
	for _, f := range flags {
		names, usage := flagNames(f), flagUsage(f)
		if n := utf8.RuneCountInString(names); n > col {
			b.WriteString("  " + names + "\n")
			writeWrapped(b, strings.Repeat(" ", col+4)+usage, col+4)
			continue
		}
		writeWrapped(b, fmt.Sprintf("  %s%s  %s", names, strings.Repeat(" ", col-utf8.RuneCountInString(names)), usage), col+4)
	}
}

// writeWrapped writes s word-wrapped at helpWidth columns; continuation
// lines are indented by indent spaces.
func writeWrapped(b *strings.Builder, s string, indent int) {
	line, width := "", 0
	for i, word := range strings.Split(s, " ") {
		wl := utf8.RuneCountInString(word)
		switch {
		case i == 0:
			line, width = word, wl
		case width+1+wl > helpWidth && strings.TrimSpace(line) != "":
			b.WriteString(strings.TrimRight(line, " ") + "\n")
			line, width = strings.Repeat(" ", indent)+word, indent+wl
		default:
			line += " " + word
			width += 1 + wl
		}
	}
	b.WriteString(strings.TrimRight(line, " ") + "\n")
}

// paragraphs joins a description's hard-wrapped lines so they can be
// wrapped at helpWidth; blank lines and lines starting with a space or a
// list marker keep their own line.
func paragraphs(desc string) []string {
	var out []string
	for _, line := range strings.Split(strings.TrimRight(desc, "\n"), "\n") {
		n := len(out)
		if n > 0 && line != "" && out[n-1] != "" && !strings.HasPrefix(line, " ") && !strings.HasPrefix(line, "-") {
			out[n-1] += " " + line
			continue
		}
		out = append(out, line)
	}
	return out
}
