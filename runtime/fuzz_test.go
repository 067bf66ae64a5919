package runtime

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ct2go/ct2go/format/ct2"
	"github.com/ct2go/ct2go/internal/synthmodel"
)

// tinySynthetic writes a model small enough (a few KB) to corrupt every byte.
func tinySynthetic(t testing.TB, dt ct2.DType) (dir string, bin []byte) {
	t.Helper()
	dir = scratchDir(t)
	s := synthmodel.Shape{Layers: 2, Hidden: 8, Inter: 12, Heads: 2, KVHeads: 1, Vocab: 16, DType: dt}
	if err := synthmodel.Write(dir, s, 3); err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(filepath.Join(dir, "model.bin"))
	if err != nil {
		t.Fatal(err)
	}
	return dir, bin
}

// scratchDir prefers tmpfs (/dev/shm): the corruption tests rewrite
// model.bin thousands of times and should not wait on a busy disk.
func scratchDir(t testing.TB) string {
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "ct2go-runtime-test-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(d) })
			return d
		}
	}
	return t.TempDir()
}

// loadAndRun must never panic: Load either fails or gives a model that runs.
func loadAndRun(t testing.TB, dir string, bin []byte, computes ...Compute) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "model.bin"), bin, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range computes {
		m, err := Load(dir, Options{Compute: c, Threads: 1})
		if err != nil {
			continue
		}
		s := m.NewSession(4)
		if _, err := s.Prefill([]int{1, 2, 3}, true); err != nil {
			t.Errorf("Load accepted the model but Prefill failed: %v", err)
		}
		if _, err := s.Step(4); err != nil {
			t.Errorf("Load accepted the model but Step failed: %v", err)
		}
		m.Close()
	}
}

// TestCorruptEveryByte truncates a tiny model at every length and flips every
// byte: Load must fail cleanly or produce a model that runs, never panic.
func TestCorruptEveryByte(t *testing.T) {
	for _, dt := range []ct2.DType{ct2.Int8, ct2.Float32} {
		t.Run(dt.String(), func(t *testing.T) {
			dir, bin := tinySynthetic(t, dt)
			loadAndRun(t, dir, bin, ComputeDefault, ComputeFloat32)
			for n := 0; n < len(bin); n++ {
				if err := os.WriteFile(filepath.Join(dir, "model.bin"), bin[:n], 0o644); err != nil {
					t.Fatal(err)
				}
				if m, err := Load(dir, Options{Threads: 1}); err == nil {
					m.Close()
					t.Fatalf("model.bin cut to %d of %d bytes loaded", n, len(bin))
				}
			}
			// Every byte once, cycling through flip patterns and both compute paths.
			b := append([]byte{}, bin...)
			patterns := []byte{0xff, 0x01, 0x80}
			for i := range b {
				x := patterns[i%len(patterns)]
				b[i] ^= x
				loadAndRun(t, dir, b, Compute(1+i%2))
				b[i] ^= x
			}
		})
	}
}

// FuzzLoad feeds mutated model.bin files to Load (go test -fuzz=FuzzLoad).
func FuzzLoad(f *testing.F) {
	dir, bin := tinySynthetic(f, ct2.Int8)
	f.Add(bin)
	_, binF := tinySynthetic(f, ct2.Float32)
	f.Add(binF)
	f.Fuzz(func(t *testing.T, b []byte) {
		loadAndRun(t, dir, b, ComputeDefault, ComputeFloat32)
	})
}
