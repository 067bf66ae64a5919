package main

import (
	"fmt"

	"github.com/ct2go/ct2go/runtime"
)

// loadCheckpoint is runtime.LoadCheckpoint once helper B's loader is merged.
func loadCheckpoint(dir string, opts runtime.Options) (*runtime.Model, error) {
	return nil, fmt.Errorf("%s: running a checkpoint needs runtime.LoadCheckpoint (not merged yet)", dir)
}
