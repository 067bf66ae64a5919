package main

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// nargsFlags take several values after one flag, as CTranslate2's argparse
// nargs="*" options do: --copy_files LICENSE NOTICE.
var nargsFlags = map[string]bool{"copy_files": true, "copy-files": true}

// reorderArgs moves a subcommand's flags before its positional arguments
// (urfave/cli v2, like Go's flag package, stops at the first positional, so
// `inspect DIR --json` would take --json as a second path), and expands
// `--copy_files A B` into `--copy_files A --copy_files B`; aliases become
// the flag's first name. It knows which
// flags take a value from the command's definitions; everything after `--`
// stays positional, and `-` (stdin) is a positional. It returns the new
// arguments and the subcommand (nil when args[1] is none).
func reorderArgs(app *cli.App, args []string) ([]string, *cli.Command) {
	if len(args) < 2 {
		return args, nil
	}
	cmd := findCommand(app, args[1])
	if cmd == nil {
		return args, nil
	}
	takesValue := map[string]bool{}
	canonical := map[string]string{}
	for _, f := range cmd.Flags {
		tv := false
		if df, ok := f.(cli.DocGenerationFlag); ok {
			tv = df.TakesValue()
		}
		for _, n := range f.Names() {
			takesValue[n] = tv
			canonical[n] = f.Names()[0]
		}
	}
	var flags, pos []string
	dashdash := false
	rest := args[2:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if a == "--" {
			dashdash = true
			pos = append(pos, rest[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		name, value, inline := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if c, ok := canonical[name]; ok && c != name {
			// One spelling per flag: urfave/cli refuses "two forms of the
			// same flag" (--copy-files A --copy_files B).
			a = "--" + c
			if inline {
				a += "=" + value
			}
		}
		flags = append(flags, a)
		if inline || !takesValue[name] || i+1 >= len(rest) {
			continue
		}
		i++
		flags = append(flags, rest[i])
		if nargsFlags[name] {
			for i+1 < len(rest) && !strings.HasPrefix(rest[i+1], "-") {
				i++
				flags = append(flags, "--"+canonical[name], rest[i])
			}
		}
	}
	out := append([]string{}, args[:2]...)
	out = append(out, flags...)
	if dashdash {
		out = append(out, "--")
	}
	return append(out, pos...), cmd
}

func findCommand(app *cli.App, name string) *cli.Command {
	for _, c := range app.Commands {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}
