package kernels

import (
	"os"
	"strconv"
	"strings"
)

// l2CacheBytes reads the per-core L2 size from sysfs (0 if unknown). The GEMM superblock
// (packBudget) is sized from it: 2 MiB on recent Xeons, 1 MiB on Zen 4, 256 KiB on older
// cores.
func l2CacheBytes() int {
	for i := 0; i < 8; i++ {
		dir := "/sys/devices/system/cpu/cpu0/cache/index" + strconv.Itoa(i) + "/"
		lvl, err := os.ReadFile(dir + "level")
		if err != nil {
			return 0
		}
		if strings.TrimSpace(string(lvl)) != "2" {
			continue
		}
		b, err := os.ReadFile(dir + "size")
		if err != nil {
			return 0
		}
		return parseCacheSize(strings.TrimSpace(string(b)))
	}
	return 0
}
