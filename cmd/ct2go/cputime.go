package main

import (
	"syscall"
	"time"
)

// processCPUTime is the user+system CPU time of this process so far: on a
// shared machine, work per CPU-second is steadier than work per wall second.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
