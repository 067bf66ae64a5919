// Command ct2go converts Llama-3.2-Vision (Mllama) and Llama checkpoints to
// CTranslate2 models and checks the result. Each subcommand lives in its own
// file; business logic lives in the packages below.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"reflect"
	"regexp"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"unicode"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/ct2go/ct2go/convert"
	"github.com/ct2go/ct2go/format/safetensors"
	"github.com/ct2go/ct2go/runtime"
	"github.com/ct2go/ct2go/tokenizer"
)

// Exit codes (shared/docs/design.md §4).
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitUnsupported = 3
	exitExists      = 4
	exitInterrupted = 130
)

// version and revision may be set at link time (-ldflags "-X main.version=v1.2.3
// -X main.revision=SHA"; the Makefile sets revision): the build info's VCS
// stamp is missing when the build cannot see the repository (-buildvcs=false,
// or a git worktree, which go build does not recognise).
var version, revision = "dev", ""

func main() {
	os.Exit(run(os.Args))
}

func run(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// CT2GO_CPUPROFILE=FILE writes a Go CPU profile of the whole command (for performance work).
	if path := os.Getenv("CT2GO_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
			defer func() { pprof.StopCPUProfile(); f.Close() }()
		}
	}
	app := newApp()
	args, cmd := reorderArgs(app, args)
	cmdName := ""
	if cmd != nil {
		cmdName = cmd.Name
	}
	err := checkCommandName(app, args)
	if err == nil {
		err = app.RunContext(ctx, args)
	}
	if err == nil {
		return exitOK
	}
	code := exitCode(ctx, err)
	report(os.Stderr, os.Stdout, err, cmdName, wantsJSON(args))
	return code
}

func newApp() *cli.App {
	cli.HelpPrinter = printHelp
	app := &cli.App{
		Name:    "ct2go",
		Usage:   "convert Llama-3.2-Vision / Llama checkpoints to CTranslate2 and prove them right",
		Version: versionString(),
		Commands: []*cli.Command{
			convertCommand(),
			stripCommand(),
			inspectCommand(),
			fixRopeCommand(),
			synthCommand(),
			verifyCommand(),
			runCommand(),
			benchCommand(),
			tokenizeCommand(),
			detokenizeCommand(),
			referenceCommand(),
		},
		// Errors are printed once, by run, with a proper exit code.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return usageError{flagParseError(err)}
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("unknown command %q", c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
	}
	for _, cmd := range app.Commands {
		strictUsage(cmd)
	}
	return app
}

// clearedRequired remembers the flags whose Required field strictUsage cleared.
var clearedRequired sync.Map

// strictUsage makes every command-line mistake of cmd a one-line usage
// error (exit 2): urfave/cli would print the whole help for an unknown
// flag, a bad flag value or a missing required flag. Required flags are
// checked here instead of by urfave/cli (their Required field is cleared
// through reflection, so flags any subcommand declares are covered).
func strictUsage(cmd *cli.Command) {
	cmd.OnUsageError = func(_ *cli.Context, err error, _ bool) error { return usageError{flagParseError(err)} }
	var required []string
	for _, f := range cmd.Flags {
		if _, done := clearedRequired.Load(f); done {
			required = append(required, f.Names()[0]) // a flag shared by commands, cleared already
			continue
		}
		rf, ok := f.(cli.RequiredFlag)
		if !ok || !rf.IsRequired() {
			continue
		}
		if v := reflect.ValueOf(f); v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.Struct {
			if fv := v.Elem().FieldByName("Required"); fv.IsValid() && fv.CanSet() && fv.Kind() == reflect.Bool {
				fv.SetBool(false)
				clearedRequired.Store(f, true)
				required = append(required, f.Names()[0])
			}
		}
	}
	before := cmd.Before
	cmd.Before = func(c *cli.Context) error {
		for _, name := range required {
			if !c.IsSet(name) {
				return usagef("--%s is required", name)
			}
		}
		if before != nil {
			return before(c)
		}
		return nil
	}
}

var (
	undefinedFlagRe = regexp.MustCompile(`^flag provided but not defined: -+(.*)$`)
	badValueRe      = regexp.MustCompile(`^invalid (?:boolean )?value (".*") for (?:flag )?-+([^:]*): (.*)$`)
)

// flagParseError rewords the flag package's parse errors with the flags
// spelled as users type them (--name, not -name). Only the wording depends
// on the text; the exit code comes from the usageError type.
func flagParseError(err error) error {
	msg := err.Error()
	if m := undefinedFlagRe.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("unknown flag --%s", m[1])
	}
	if m := badValueRe.FindStringSubmatch(msg); m != nil {
		msg := fmt.Sprintf("--%s: invalid value %s", m[2], m[1])
		if m[3] != "parse error" {
			msg += ": " + m[3]
		}
		return errors.New(msg)
	}
	return err
}

// checkCommandName refuses an unknown subcommand (also after "help") as a
// usage error; urfave/cli would answer "No help topic" with exit 3.
func checkCommandName(app *cli.App, args []string) error {
	if len(args) < 2 || strings.HasPrefix(args[1], "-") {
		return nil
	}
	name := args[1]
	if name == "help" || name == "h" {
		if len(args) < 3 || strings.HasPrefix(args[2], "-") {
			return nil
		}
		name = args[2]
	}
	if findCommand(app, name) == nil {
		return usagef("unknown command %q", name)
	}
	return nil
}

// versionString is the module version and VCS revision the binary was
// built from (debug.ReadBuildInfo), else what the linker flags set.
func versionString() string {
	v := version
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = &debug.BuildInfo{GoVersion: "unknown Go"}
	}
	if v == "dev" && bi.Main.Version != "" {
		v = bi.Main.Version
	}
	rev, when := revision, ""
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev != "" {
		v += " revision " + rev
		if modified {
			v += " (modified)"
		}
		if when != "" {
			v += " of " + when
		}
	}
	return v + ", " + bi.GoVersion
}

// usageError marks a command-line mistake (exit 2).
type usageError struct{ error }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// exitError carries an explicit exit code.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}
func (e exitError) Unwrap() error { return e.err }

func exitCode(ctx context.Context, err error) int {
	var ee exitError
	var ue usageError
	var ce cli.ExitCoder
	switch {
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue):
		return exitUsage
	case errors.Is(err, convert.ErrOutputExists):
		return exitExists
	case errors.Is(err, convert.ErrUnsupported), errors.Is(err, runtime.ErrUnsupported), errors.Is(err, tokenizer.ErrUnsupported):
		return exitUnsupported
	case errors.As(err, &ce):
		return ce.ExitCode()
	}
	return exitFailure
}

// wantsJSON: the command line asked for --json (before any --).
func wantsJSON(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "--json", "-json", "--json=true", "-json=true":
			return true
		}
	}
	return false
}

// maxProblems is how many problems of a checkpoint the terminal gets;
// --json gives all.
const maxProblems = 10

// report prints err for people: one "ct2go: " line, or for a checkpoint
// with several problems a header line and the first maxProblems problems
// (by layer, then name), one per indented line. With --json the full list
// also goes to stdout. Library errors name no flag; the flag that changes
// the outcome is added here.
func report(stderr, stdout io.Writer, err error, cmd string, asJSON bool) {
	if problems, header, ok := problemList(err); ok {
		if asJSON {
			printJSON(stdout, map[string]any{"error": oneLine(err), "problems": problems})
		}
		fmt.Fprintf(stderr, "ct2go: %s: %d problems:\n", escapeControls(header), len(problems))
		for i, p := range problems {
			if i == maxProblems {
				more := fmt.Sprintf("... and %d more", len(problems)-maxProblems)
				if !asJSON {
					more += " (--json lists all)"
				}
				fmt.Fprintf(stderr, "  %s\n", more)
				break
			}
			fmt.Fprintf(stderr, "  %s\n", clip(oneLine(errors.New(p)), 300))
		}
		return
	}
	msg := oneLine(err)
	if msg == "" {
		return
	}
	var (
		nf *convert.NonFiniteError
		oe *convert.OutputExistsError
		fo *convert.ForeignOutputError
		hi *convert.OutputHoldsInputError
		cf *convert.CopyFileError
		ue usageError
	)
	switch {
	case errors.As(err, &nf):
		msg += " (use --allow-nonfinite to convert anyway)"
	case errors.As(err, &oe):
		msg += " (use --force to replace it)"
	case errors.As(err, &fo):
		msg += ": one --force replaces only a previous output; give --force twice to replace it anyway"
	case errors.As(err, &hi):
		msg = oneLine(fmt.Errorf("--force would replace %s, which contains the input checkpoint %s", hi.Out, hi.In))
	case errors.As(err, &cf):
		msg = oneLine(fmt.Errorf("--copy_files %q: %s", cf.Name, cf.Reason))
	case errors.As(err, &ue):
		if cmd != "" {
			msg += fmt.Sprintf(" (see ct2go %s --help)", cmd)
		} else {
			msg += " (see ct2go --help)"
		}
	}
	fmt.Fprintf(stderr, "ct2go: %s\n", clip(msg, 2000))
}

// problemList finds a checkpoint's list of problems in err (from convert
// or format/safetensors) when it has more than one; header is what err
// says before the list (the checkpoint directory, with any context).
func problemList(err error) (problems []string, header string, ok bool) {
	var cp *convert.ProblemsError
	var sp *safetensors.ProblemsError
	var dir string
	var list []string
	switch {
	case errors.As(err, &cp):
		dir, list = cp.Dir, cp.Problems
		header, _ = strings.CutSuffix(err.Error(), cp.Error())
	case errors.As(err, &sp):
		dir, list = sp.Dir, sp.Problems
		header, _ = strings.CutSuffix(err.Error(), sp.Error())
	default:
		return nil, "", false
	}
	if len(list) < 2 {
		return nil, "", false
	}
	return convert.SortProblems(list), header + dir, true
}

// clip shortens s to at most n bytes (on a rune boundary), marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// oneLine flattens an error for the one-line message users get.
func oneLine(err error) string {
	if errors.Is(err, context.Canceled) {
		return "interrupted: temporary output removed"
	}
	msg := strings.ReplaceAll(err.Error(), "\n", "; ")
	return escapeControls(strings.Join(strings.Fields(msg), " "))
}

// escapeControls writes control characters and invalid UTF-8 as \xNN /
// \uNNNN: names taken from hostile files must not drive the terminal.
func escapeControls(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && w == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unicode.IsControl(r) && r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unicode.IsControl(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+w])
		}
		i += w
	}
	return b.String()
}
