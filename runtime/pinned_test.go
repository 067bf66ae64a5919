package runtime

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/ct2go/ct2go/format/ct2"
	"github.com/ct2go/ct2go/internal/kernels"
	"github.com/ct2go/ct2go/internal/synthmodel"
	"github.com/ct2go/ct2go/internal/testfix"
)

var updateDigests = flag.Bool("update-digests", false, "rewrite testdata/logit-digests.json from this build")

const digestFile = "testdata/logit-digests.json"

// TestOutputsPinned: the logits of a fixed 70-token prompt (every position) and of 4
// greedy decode steps hash to the digests in testdata/logit-digests.json, per model,
// compute type and kernel level. Speed work (tiles, packing, thread splits, vectorised
// exp) must not change a bit of them; a deliberate numerical change re-records them
// with `go test ./runtime -run OutputsPinned -update-digests` and says why in its
// commit. Levels this machine lacks are skipped (the others still pin them). The digests
// do not depend on the CPU model: every kernel choice that varies with the machine (cache
// sizes, thread split, superblocks, column chunks) keeps each output's order of
// operations, so a mismatch on another CPU is a bug, not noise. Recorded at 4c807c0.
func TestOutputsPinned(t *testing.T) {
	synth := t.TempDir()
	// Wide enough for the int8 and float32 register tiles (rows >= 48, 32-token blocks)
	// and grouped-query attention; the fixture is 64 wide.
	for _, d := range []ct2.DType{ct2.Int8, ct2.BFloat16} {
		if err := synthmodel.Write(filepath.Join(synth, d.String()), synthmodel.Shape{Layers: 2, Hidden: 256, Inter: 512, Heads: 8, KVHeads: 2, Vocab: 512, DType: d}, 5); err != nil {
			t.Fatal(err)
		}
	}
	models := []struct {
		name, dir  string
		checkpoint bool
		computes   []Compute
	}{
		{"fixture/int8_float16", testfix.Path(t, "golden", "ct2go", "int8_float16"), false, []Compute{ComputeInt8, ComputeFloat32}},
		{"fixture/checkpoint-bf16", testfix.Path(t, "tiny-mllama"), true, []Compute{ComputeFloat32}},
		{"synth/int8", filepath.Join(synth, ct2.Int8.String()), false, []Compute{ComputeInt8, ComputeFloat32}},
		{"synth/bfloat16", filepath.Join(synth, ct2.BFloat16.String()), false, []Compute{ComputeFloat32}},
	}
	want := map[string]string{}
	if b, err := os.ReadFile(digestFile); err == nil {
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("%s: %v", digestFile, err)
		}
	} else if !*updateDigests {
		t.Fatal(err)
	}
	got := map[string]string{}
	for k, v := range want {
		got[k] = v // levels this machine lacks keep their recorded digest
	}
	for _, l := range kernels.ISAs() {
		prev, err := kernels.SetISA(l)
		if err != nil {
			t.Fatal(err)
		}
		for _, md := range models {
			for _, c := range md.computes {
				key := fmt.Sprintf("%s/%v/%v", md.name, c, l)
				load := Load
				if md.checkpoint {
					load = LoadCheckpoint
				}
				m, err := load(md.dir, Options{Compute: c, Threads: 2})
				if err != nil {
					t.Fatal(err)
				}
				got[key] = logitDigest(t, m)
				m.Close()
				if !*updateDigests && got[key] != want[key] {
					t.Errorf("%s: logits digest %s, recorded %s", key, got[key], want[key])
				}
			}
		}
		kernels.SetISA(prev)
	}
	if *updateDigests {
		b, _ := json.MarshalIndent(got, "", "  ")
		if err := os.MkdirAll(filepath.Dir(digestFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(digestFile, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// logitDigest hashes the float32 bits of a 70-token prefill (all positions) and 4 greedy steps.
func logitDigest(t *testing.T, m *Model) string {
	t.Helper()
	ids := make([]int, 70)
	for i := range ids {
		ids[i] = (i*7919 + 13) % m.VocabSize()
	}
	s := m.NewSession(len(ids) + 4)
	out, err := s.Prefill(ids, true)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	var buf [4]byte
	put := func(row []float32) {
		for _, v := range row {
			binary.LittleEndian.PutUint32(buf[:], math.Float32bits(v))
			h.Write(buf[:])
		}
	}
	for _, row := range out {
		put(row)
	}
	next := argmaxF32(out[len(out)-1])
	for i := 0; i < 4; i++ {
		l, err := s.Step(next)
		if err != nil {
			t.Fatal(err)
		}
		put(l)
		next = argmaxF32(l)
	}
	return hex.EncodeToString(h.Sum(nil))
}
