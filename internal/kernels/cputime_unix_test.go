//go:build unix

package kernels

import (
	"syscall"
	"time"
)

// processCPUTime is the user+system CPU time of this process. Benchmarks divide work by it
// as well as by wall time: on a shared, oversubscribed machine the per-CPU-second figure
// shows the kernel's own speed, the wall-clock one what the process actually got.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
