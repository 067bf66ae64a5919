package convert

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/ct2go/ct2go/format/checkpoint"
	"github.com/ct2go/ct2go/format/hf"
	"github.com/ct2go/ct2go/format/safetensors"
	"github.com/ct2go/ct2go/internal/testfix"
)

var fuzzCk struct {
	once          sync.Once
	mllama, llama *safetensors.Checkpoint
	err           error
}

// fuzzCheckpoints opens the fixture once (read-only mapping) and derives a
// header-only LlamaForCausalLM checkpoint from its text model, so configs of
// both families meet real tensor names and shapes.
func fuzzCheckpoints(t testing.TB) (mllama, llama *safetensors.Checkpoint) {
	dir := testfix.Path(t, "tiny-mllama")
	fuzzCk.once.Do(func() {
		ck, err := safetensors.OpenCheckpoint(dir)
		if err != nil {
			fuzzCk.err = err
			return
		}
		cfg, err := hf.ReadConfig(dir)
		if err != nil {
			fuzzCk.err = err
			return
		}
		tm, err := mllamaText(dir, cfg, ck)
		if err != nil {
			fuzzCk.err = err
			return
		}
		l := &safetensors.Checkpoint{Dir: "llama", Tensors: map[string]*safetensors.Tensor{}}
		for name, ref := range tm.Tensors {
			l.Tensors[name] = &safetensors.Tensor{Name: name, DType: ref.T.DType, Shape: ref.Shape(), NBytes: refBytes(ref)}
		}
		fuzzCk.mllama, fuzzCk.llama = ck, l
	})
	if fuzzCk.err != nil {
		t.Fatal(fuzzCk.err)
	}
	return fuzzCk.mllama, fuzzCk.llama
}

// mllamaText maps an Mllama config (model_type mllama) onto ck.
func mllamaText(dir string, cfg *hf.Config, ck *safetensors.Checkpoint) (*TextModel, error) {
	fam, err := checkpoint.FamilyFor(cfg)
	if err != nil {
		return nil, err
	}
	return fam.Text(dir, cfg, ck)
}

// edited returns the JSON of path after edit.
func edited(t testing.TB, path string, edit func(m, text map[string]any)) []byte {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(raw, &m)
	text := m
	if tc, ok := m["text_config"].(map[string]any); ok {
		text = tc
	}
	edit(m, text)
	b, _ := json.Marshal(m)
	return b
}

// FuzzConfigSpec maps arbitrary config.json bytes onto the fixture's
// tensors, through family dispatch, parameter validation and the CT2
// variable plan for every quantization. It must never panic; a config it
// accepts must describe exactly the tensors present, and the plan must
// have the sizes the parameters imply.
func FuzzConfigSpec(f *testing.F) {
	mcfg := testfix.Path(f, "tiny-mllama", "config.json")
	lcfg := testfix.Path(f, "golden", "stripped-llama", "config.json")
	for _, p := range []string{mcfg, lcfg} {
		raw, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	for _, e := range []func(m, t map[string]any){
		func(m, t map[string]any) { t["tie_word_embeddings"] = true },
		func(m, t map[string]any) { t["rope_scaling"] = map[string]any{"rope_type": "linear", "factor": 2.0} },
		func(m, t map[string]any) { t["rope_scaling"] = nil; t["rope_theta"] = 1e39 },
		func(m, t map[string]any) { t["cross_attention_layers"] = []any{3, 8, 9} },
		func(m, t map[string]any) { t["num_hidden_layers"] = 1e15 },
		func(m, t map[string]any) { t["num_key_value_heads"] = 4 },
		func(m, t map[string]any) { t["head_dim"] = 32 },
		func(m, t map[string]any) { t["vocab_size"] = 128264 },
		func(m, t map[string]any) {
			t["rope_scaling"].(map[string]any)["original_max_position_embeddings"] = 1e300
		},
		func(m, t map[string]any) { m["model_type"] = "mllama_text_model" },
	} {
		f.Add(edited(f, mcfg, e))
		f.Add(edited(f, lcfg, e))
	}
	mck, lck := fuzzCheckpoints(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		cfg, err := hf.ParseConfig(raw)
		if err != nil {
			return
		}
		cfg.Path = "config.json"
		fam, err := checkpoint.FamilyFor(cfg)
		if err != nil {
			if !errors.Is(err, ErrUnsupported) {
				t.Fatalf("unsupported model_type without ErrUnsupported: %v", err)
			}
			return
		}
		ck := mck
		if fam.Name() == "llama" {
			ck = lck
		}
		tm, err := fam.Text("fixture", cfg, ck)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		checkAccepted(t, tm)
	})
}

// checkAccepted: an accepted text model is exactly the tensors its
// parameters imply, and every plan sizes its variables from them.
func checkAccepted(t *testing.T, tm *TextModel) {
	p := tm.Params
	want := checkpoint.ExpectedShapes(p)
	if len(want) != len(tm.Tensors) {
		t.Fatalf("%d tensors mapped, config implies %d", len(tm.Tensors), len(want))
	}
	for name, shape := range want {
		ref, ok := tm.Tensors[name]
		if !ok || !slices.Equal(ref.Shape(), shape) {
			t.Fatalf("accepted with %s = %v, config implies %v", name, ref.Shape(), shape)
		}
	}
	if p.Heads%p.KVHeads != 0 || p.HeadDim%2 != 0 || p.Layers < 1 {
		t.Fatalf("inconsistent params accepted: %+v", p)
	}
	for _, qn := range Quantizations {
		q, err := parseQuant(qn)
		if err != nil {
			t.Fatal(err)
		}
		for _, compat := range []bool{false, true} {
			vars := finalize(llamaVars(tm, compat), q, p)
			names := make([]string, len(vars))
			for i, v := range vars {
				names[i] = v.Name
				if v.NBytes() < 0 || !v.DType.Valid() {
					t.Fatalf("%s: %s has %d bytes of %v", qn, v.Name, v.NBytes(), v.DType)
				}
			}
			if !sort.StringsAreSorted(names) {
				t.Fatalf("%s: variables not sorted", qn)
			}
			for i := 1; i < len(names); i++ {
				if names[i] == names[i-1] {
					t.Fatalf("%s: duplicate variable %s", qn, names[i])
				}
			}
			qkv := (p.Heads + 2*p.KVHeads) * p.HeadDim
			for i := 0; i < p.Layers; i++ {
				n := fmt.Sprintf("decoder/layer_%d/self_attention/linear_0/weight", i)
				j := sort.SearchStrings(names, n)
				if j == len(names) || names[j] != n || !slices.Equal(vars[j].Shape, []int{qkv, p.Hidden}) {
					t.Fatalf("%s: %s missing or not [%d %d]", qn, n, qkv, p.Hidden)
				}
			}
		}
	}
}

// TestConfigBounds: absurd sizes are refused before they size anything.
func TestConfigBounds(t *testing.T) {
	mck, _ := fuzzCheckpoints(t)
	mcfg := testfix.Path(t, "tiny-mllama", "config.json")
	for _, c := range []struct {
		name string
		edit func(m, t map[string]any)
		want string
	}{
		{"layers 1e15", func(m, t map[string]any) { t["num_hidden_layers"] = 1e15 }, "num_hidden_layers 1000000000000000 is implausibly large"},
		{"vocab 2^40", func(m, t map[string]any) { t["vocab_size"] = 1 << 40 }, "vocab_size 1099511627776 is implausibly large"},
		{"rope_theta beyond float32", func(m, t map[string]any) { t["rope_theta"] = 1e39 }, "rope_theta must be a positive float32"},
		{"original_max 1e300", func(m, t map[string]any) {
			t["rope_scaling"].(map[string]any)["original_max_position_embeddings"] = 1e300
		}, "original_max_position_embeddings must be a positive int32"},
		{"all layers cross", func(m, t map[string]any) {
			t["num_hidden_layers"] = 2
			t["cross_attention_layers"] = []any{0, 1}
		}, "no text decoder layer is left"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := hf.ParseConfig(edited(t, mcfg, c.edit))
			if err != nil {
				t.Fatal(err)
			}
			_, err = mllamaText("fixture", cfg, mck)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
		})
	}
}

// TestFuzzSeedsAccepted: the fuzz target's two real configs reach
// checkAccepted, so the property it states is exercised on real input.
func TestFuzzSeedsAccepted(t *testing.T) {
	mck, lck := fuzzCheckpoints(t)
	for _, c := range []struct {
		path string
		ck   *safetensors.Checkpoint
	}{{testfix.Path(t, "tiny-mllama", "config.json"), mck}, {testfix.Path(t, "golden", "stripped-llama", "config.json"), lck}} {
		raw, _ := os.ReadFile(c.path)
		cfg, err := hf.ParseConfig(raw)
		if err != nil {
			t.Fatal(err)
		}
		fam, err := checkpoint.FamilyFor(cfg)
		if err != nil {
			t.Fatal(err)
		}
		tm, err := fam.Text("fixture", cfg, c.ck)
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		checkAccepted(t, tm)
	}
}
