package hub_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/ct2go/ct2go/hub"
)

// How cmd/ct2go resolves --model (compiled, not run: it would reach the network).
func ExampleResolve() {
	ctx := context.Background()
	dir, err := hub.Resolve(ctx, "meta-llama/Llama-3.2-11B-Vision-Instruct@main", hub.Options{
		Progress: func(p hub.Progress) {
			fmt.Fprintf(os.Stderr, "\r%s %d/%d MB", p.File, p.AllDone>>20, p.AllTotal>>20)
		},
		Warn: func(msg string) { fmt.Fprintln(os.Stderr, "warning:", msg) },
	})
	switch {
	case errors.Is(err, hub.ErrGated), errors.Is(err, hub.ErrNotFound), errors.Is(err, hub.ErrOffline):
		fmt.Fprintln(os.Stderr, "ct2go:", err) // already one actionable line
		os.Exit(1)
	case err != nil:
		fmt.Fprintln(os.Stderr, "ct2go:", err)
		os.Exit(1)
	}
	fmt.Println(dir) // .../models--meta-llama--Llama-3.2-11B-Vision-Instruct/snapshots/<commit>
}
