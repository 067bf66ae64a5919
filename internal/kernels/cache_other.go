//go:build !linux

package kernels

func l2CacheBytes() int { return 0 }

// LastLevelCache is unknown outside Linux (no sysfs).
func LastLevelCache() (level, bytes int) { return 0, 0 }

// CPUModel is unknown outside Linux.
func CPUModel() string { return "" }
