package kernels

import (
	"os"
	"runtime"
	"testing"
)

// StreamRead must read every byte exactly once at every ISA level and length
// (the SIMD body takes multiples of 128, the tail is summed in Go).
func TestStreamReadSum(t *testing.T) {
	buf := make([]byte, 4096+129)
	for i := range buf {
		buf[i] = byte(i*7 + i>>8)
	}
	for _, l := range ISAs() {
		prev, _ := SetISA(l)
		for _, n := range []int{0, 1, 127, 128, 129, 255, 256, 1000, 4096, len(buf)} {
			for _, off := range []int{0, 1, 3} { // model.bin views are unaligned
				if off+n > len(buf) {
					continue
				}
				// The checksum: little-endian uint64 words of the 128-byte blocks, then the tail's bytes.
				var want uint64
				p, body := buf[off:off+n], n&^127
				for i := 0; i < body; i += 8 {
					want += le64(p[i:])
				}
				for _, v := range p[body:] {
					want += uint64(v)
				}
				if got := StreamRead(buf[off : off+n]); got != want {
					t.Errorf("%v: StreamRead(len %d, offset %d) = %d, want %d", l, n, off, got, want)
				}
				if got := StreamRead4(buf[off : off+n]); got != want {
					t.Errorf("%v: StreamRead4(len %d, offset %d) = %d, want %d", l, n, off, got, want)
				}
			}
		}
		SetISA(prev)
	}
}

func TestLastLevelCache(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("sysfs cache sizes are Linux-only")
	}
	if _, err := os.Stat(sysCache + "0/level"); err != nil {
		t.Skipf("no sysfs cache description: %v", err)
	}
	lvl, b := LastLevelCache()
	if lvl < 1 || b <= 0 {
		t.Fatalf("LastLevelCache() = level %d, %d bytes; sysfs describes the caches", lvl, b)
	}
	if l2 := l2CacheBytes(); lvl >= 2 && l2 > 0 && lvl == 2 && b != l2 {
		t.Errorf("last level is L2 of %d bytes, l2CacheBytes says %d", b, l2)
	}
	t.Logf("LLC: L%d %d KiB; CPU %q", lvl, b>>10, CPUModel())
}
