package runtime

import (
	"context"
	"errors"
	"testing"

	"github.com/ct2go/ct2go/internal/testfix"
	"github.com/ct2go/ct2go/runtime/internal/testmodel"
)

// TestKVCacheMatchesRecompute: decoding with the KV cache (a prefix prefill,
// a second chunked prefill, then single steps) gives the logits of one full
// prefill of the whole sequence.
func TestKVCacheMatchesRecompute(t *testing.T) {
	cases := []struct {
		name    string
		dir     func(t *testing.T) string
		compute Compute
		tol     float64
	}{
		{"float32", func(t *testing.T) string { return testmodel.Build(t, "ct2go", "float32") }, ComputeFloat32, 1e-5},
		// int8 is exact: linears are integer GEMMs, and attention runs the same
		// per-(token, KV head) code whatever the chunking, so logits must not move.
		{"int8", func(t *testing.T) string { return testfix.Path(t, "golden", "ct2go", "int8_float16") }, ComputeInt8, 0},
	}
	ids := refLogits(t, "transformers")[3].ids // 40 tokens
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := loadModel(t, tc.dir(t), tc.compute)
			full := prefillAll(t, m, ids)
			s := m.NewSession(len(ids))
			var got [][]float32
			a, err := s.Prefill(ids[:7], true)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, a...)
			b, err := s.Prefill(ids[7:20], true)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, b...)
			for _, id := range ids[20:] {
				l, err := s.Step(id)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, l)
			}
			var worst float64
			for i := range full {
				d := maxAbs(got[i], full[i])
				if d > tc.tol {
					t.Errorf("position %d: max|Δ| %.3g > %.1g", i, d, tc.tol)
				}
				worst = max(worst, d)
			}
			t.Logf("max|Δ| cached vs recompute over %d positions: %.3g", len(full), worst)
			// Reset and rerun asking for the last position only (its lm_head is a
			// GEMV, not a GEMM row: float32 may differ in summation order only).
			s.Reset()
			last, err := s.Prefill(ids, false)
			if err != nil {
				t.Fatal(err)
			}
			if d := maxAbs(last[0], full[len(full)-1]); d > tc.tol {
				t.Errorf("after Reset the last position differs by %.3g > %.1g", d, tc.tol)
			}
		})
	}
}

// TestConcurrentSessions: sessions on one model share the worker pool and the
// rotary table; running them at once gives the same logits as running alone.
func TestConcurrentSessions(t *testing.T) {
	m := loadModel(t, testfix.Path(t, "golden", "ct2go", "int8_float16"), ComputeDefault)
	prompts := refLogits(t, "transformers")
	want := make([][][]float32, len(prompts))
	for i, p := range prompts {
		want[i] = prefillAll(t, m, p.ids)
	}
	errs := make(chan error, len(prompts))
	got := make([][][]float32, len(prompts))
	for i, p := range prompts {
		go func() {
			// Longer than the rotary table's first 2048 positions, so one goroutine grows it.
			s := m.NewSession(2100 + i)
			var err error
			got[i], err = s.Prefill(p.ids, true)
			errs <- err
		}()
	}
	for range prompts {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i := range prompts {
		for j := range want[i] {
			if d := maxAbs(got[i][j], want[i][j]); d != 0 {
				t.Errorf("prompt %d position %d differs by %.3g when run concurrently", i, j, d)
			}
		}
	}
}

func TestTruncateAndCancel(t *testing.T) {
	m := loadModel(t, testfix.Path(t, "golden", "ct2go", "int8_float16"), ComputeDefault)
	ids := refLogits(t, "transformers")[3].ids[:12]
	full := prefillAll(t, m, ids)
	s := m.NewSession(len(ids))
	if _, err := s.Prefill(append(append([]int{}, ids[:8]...), 5, 6, 7), false); err != nil {
		t.Fatal(err)
	}
	// Drop the 3 wrong tokens and continue with the right ones.
	if err := s.Truncate(8); err != nil {
		t.Fatal(err)
	}
	got, err := s.Prefill(ids[8:], true)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if d := maxAbs(got[i], full[8+i]); d != 0 {
			t.Errorf("position %d after Truncate differs by %.3g", 8+i, d)
		}
	}
	if err := s.Truncate(13); err == nil {
		t.Error("Truncate past the end succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s.Reset()
	if _, err := s.PrefillContext(ctx, ids, false); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled PrefillContext: err = %v", err)
	}
	if s.Pos() != 0 {
		t.Errorf("cancelled prefill moved the position to %d", s.Pos())
	}
}
