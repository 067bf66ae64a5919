package verify

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteReferenceFile(t *testing.T) {
	const V = 5
	prompts := []NamedIDs{{"p10", []int{1, 2, 3}}, {"p2", []int{4}}}
	fill := func(_ context.Context, ids []int) ([][]float32, error) {
		out := make([][]float32, len(ids))
		for i, id := range ids {
			out[i] = make([]float32, V)
			for j := range out[i] {
				out[i][j] = float32(id*10+j) + 0.5
			}
		}
		return out, nil
	}
	for _, name := range []string{"ref.safetensors", "ref.safetensors.zst"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, name)
			st, err := WriteReferenceFile(context.Background(), path, prompts, V, fill, map[string]string{"source": "test"})
			if err != nil {
				t.Fatal(err)
			}
			if st.Prompts != 2 || st.Positions != 4 || st.Compressed != strings.HasSuffix(name, ".zst") {
				t.Fatalf("stats %+v", st)
			}
			ref, err := LoadReference(path, LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer ref.Close()
			if ref.Source != "test" || len(ref.Prompts) != 2 || ref.Prompts[0].Name != "p2" || ref.V != V {
				t.Fatalf("reference %+v", ref)
			}
			lg := ref.Prompts[1].Logits()
			if len(lg) != 3*V || lg[V+2] != 22.5 {
				t.Fatalf("p10 logits %v", lg)
			}
			if e, _ := os.ReadDir(dir); len(e) != 1 {
				t.Fatalf("leftovers %v", e)
			}
		})
	}
	bad := []struct {
		name    string
		prompts []NamedIDs
		rows    RowsFunc
		want    string
	}{
		{"NaN logit", prompts, func(ctx context.Context, ids []int) ([][]float32, error) {
			r, _ := fill(ctx, ids)
			r[len(r)-1][3] = float32(math.NaN())
			return r, nil
		}, "prompt p10: logit NaN at position 2, token 3"},
		{"compute error", prompts, func(context.Context, []int) ([][]float32, error) { return nil, errors.New("boom") }, "prompt p10: boom"},
		{"id beyond V", []NamedIDs{{"a", []int{1, 5}}}, nil, "token id 5 at position 1 is outside the model's vocabulary of 5"},
		{"dotted name", []NamedIDs{{"a.b", []int{1}}}, nil, `"a.b"`},
		{"duplicate", []NamedIDs{{"a", []int{1}}, {"a", []int{2}}}, nil, "twice"},
		{"empty prompt", []NamedIDs{{"a", nil}}, nil, "no tokens"},
	}
	t.Run("canceled", func(t *testing.T) {
		dir := t.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		_, err := WriteReferenceFile(ctx, filepath.Join(dir, "r.safetensors"), prompts, V, func(ctx context.Context, ids []int) ([][]float32, error) {
			cancel()
			return nil, ctx.Err()
		}, nil)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v, want context.Canceled in the chain", err)
		}
		if e, _ := os.ReadDir(dir); len(e) != 0 {
			t.Fatalf("leftovers %v", e)
		}
	})
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			rows := c.rows
			if rows == nil {
				rows = func(context.Context, []int) ([][]float32, error) {
					t.Fatal("computed before validating")
					return nil, nil
				}
			}
			_, err := WriteReferenceFile(context.Background(), filepath.Join(dir, "r.safetensors"), c.prompts, V, rows, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
			if e, _ := os.ReadDir(dir); len(e) != 0 {
				t.Fatalf("leftovers %v", e)
			}
		})
	}
}
