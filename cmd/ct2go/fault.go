package main

import (
	"fmt"
	"strings"
	"syscall"
	"time"
)

// faultHook parses CT2GO_FAULT, a testing seam that makes failures
// reproducible from the outside:
//
//	slow:DURATION  sleep before every variable (to deliver Ctrl-C mid-way)
//	enospc:NAME    fail with "no space left on device" before variable NAME
func faultHook(spec string) (func(string) error, error) {
	kind, arg, _ := strings.Cut(spec, ":")
	switch kind {
	case "slow":
		d, err := time.ParseDuration(arg)
		if err != nil {
			return nil, err
		}
		return func(string) error { time.Sleep(d); return nil }, nil
	case "enospc":
		return func(name string) error {
			if name == arg {
				return fmt.Errorf("write %s: %w", name, syscall.ENOSPC)
			}
			return nil
		}, nil
	}
	return nil, fmt.Errorf("unknown fault %q (slow:DURATION, enospc:VARIABLE)", spec)
}
