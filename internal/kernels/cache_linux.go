package kernels

import (
	"fmt"
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

// CPUModel is the "model name" of /proc/cpuinfo followed by its cpu family
// and model numbers ("" if unknown), so benchmark figures name the machine they
// were taken on. Virtual machines often show only "AMD EPYC" or "Intel(R)
// Xeon(R) Processor"; the numbers tell the generation (AMD family 25 is Zen 3/4,
// 26 is Zen 5; Intel family 6 model 143 is Sapphire Rapids, 207 Emerald Rapids).
func CPUModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	return cpuModel(string(b))
}

// cpuModel reads the first processor's fields of a /proc/cpuinfo text.
func cpuModel(info string) string {
	var name, family, model string
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			if strings.TrimSpace(line) == "" && name != "" {
				break // end of the first processor
			}
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "model name":
			name = v
		case "cpu family":
			family = v
		case "model":
			model = v
		}
	}
	if name != "" && family != "" && model != "" {
		return fmt.Sprintf("%s (family %s, model %s)", name, family, model)
	}
	return name
}
