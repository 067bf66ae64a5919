package kernels

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

const sysCache = "/sys/devices/system/cpu/cpu0/cache/index"

// l2CacheBytes reads the per-core L2 size from sysfs (0 if unknown). The GEMM superblock
// (packBudget) is sized from it: 2 MiB on recent Xeons, 1 MiB on Zen 4, 256 KiB on older
// cores.
func l2CacheBytes() int {
	_, b := cacheLevel(func(l int) bool { return l == 2 })
	return b
}

// LastLevelCache returns the level and size in bytes of cpu0's last-level cache as
// sysfs reports it (0, 0 if unknown). A memory bandwidth probe must read a buffer
// several times this size, or part of it is served by the cache: on CPUs with a
// very large L3 (hundreds of MiB on recent Xeons and EPYCs) a 1 GiB buffer is not
// enough margin.
func LastLevelCache() (level, bytes int) {
	return cacheLevel(func(int) bool { return true })
}

// cacheLevel returns the highest cache level accepted by want and its size.
func cacheLevel(want func(level int) bool) (level, bytes int) {
	for i := 0; i < 16; i++ {
		dir := sysCache + strconv.Itoa(i) + "/"
		lb, err := os.ReadFile(dir + "level")
		if err != nil {
			break
		}
		l, err := strconv.Atoi(strings.TrimSpace(string(lb)))
		if err != nil || !want(l) || l < level {
			continue
		}
		if t, err := os.ReadFile(dir + "type"); err == nil && strings.TrimSpace(string(t)) == "Instruction" {
			continue
		}
		sb, err := os.ReadFile(dir + "size")
		if err != nil {
			continue
		}
		if n := parseCacheSize(strings.TrimSpace(string(sb))); n > 0 {
			level, bytes = l, n
		}
	}
	return level, bytes
}

// CPUModel is the "model name" of /proc/cpuinfo ("" if unknown), so benchmark
// figures name the machine they were taken on.
func CPUModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
