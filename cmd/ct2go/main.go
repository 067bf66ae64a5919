// Command ct2go converts Llama-3.2-Vision (Mllama) and Llama checkpoints to
// CTranslate2 models and checks the result. Each subcommand lives in its own
// file; business logic lives in the packages below.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/ct2go/ct2go/convert"
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

var version = "dev"

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
	err := app.RunContext(ctx, args)
	if err == nil {
		return exitOK
	}
	code := exitCode(ctx, err)
	if msg := oneLine(err); msg != "" {
		fmt.Fprintf(os.Stderr, "ct2go: %s\n", msg)
	}
	return code
}

func newApp() *cli.App {
	return &cli.App{
		Name:    "ct2go",
		Usage:   "convert Llama-3.2-Vision / Llama checkpoints to CTranslate2 and prove them right",
		Version: version,
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
			return usageError{err}
		},
	}
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
	if strings.Contains(err.Error(), "flag provided but not defined") || strings.Contains(err.Error(), "Required flag") {
		return exitUsage
	}
	return exitFailure
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
