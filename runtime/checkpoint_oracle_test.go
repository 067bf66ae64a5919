package runtime

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/x448/float16"

	"github.com/ct2go/ct2go/format/safetensors"
)

// oracleShape is a small Llama checkpoint of some width, dtype and RoPE.
type oracleShape struct {
	hidden, inter, layers, heads, kv, headDim, vocab int
	explicitHeadDim                                  bool
	dtype                                            string // BF16, F16, F32
	tied                                             bool
	rope                                             map[string]any // rope_scaling, nil for plain
	theta                                            float64
}

// oracleModel holds the weights as float64 (exactly the stored values).
type oracleModel struct {
	s       oracleShape
	tensors map[string][]float64
}

// writeOracleCheckpoint writes a random LlamaForCausalLM checkpoint (no
// tokenizer) and returns its directory and weights as stored.
func writeOracleCheckpoint(t *testing.T, s oracleShape, seed uint64) (string, *oracleModel) {
	t.Helper()
	om := &oracleModel{s: s, tensors: map[string][]float64{}}
	rng := seed | 1
	rnd := func() float64 { // xorshift64* -> uniform [-1, 1)
		rng ^= rng >> 12
		rng ^= rng << 25
		rng ^= rng >> 27
		return float64((rng*2685821657736338717)>>11)/float64(1<<53)*2 - 1
	}
	var wts []safetensors.WriteTensor
	add := func(name string, shape []int, scale, offset float64) {
		n := 1
		for _, d := range shape {
			n *= d
		}
		vals := make([]float64, n)
		size := map[string]int{"BF16": 2, "F16": 2, "F32": 4}[s.dtype]
		data := make([]byte, n*size)
		for i := range vals {
			f := float32(offset + scale*rnd())
			switch s.dtype {
			case "BF16":
				b := uint16(math.Float32bits(f) >> 16) // truncation is fine: the stored value is what counts
				binary.LittleEndian.PutUint16(data[2*i:], b)
				vals[i] = float64(math.Float32frombits(uint32(b) << 16))
			case "F16":
				h := float16.Fromfloat32(f)
				binary.LittleEndian.PutUint16(data[2*i:], h.Bits())
				vals[i] = float64(h.Float32())
			default:
				binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(f))
				vals[i] = float64(f)
			}
		}
		om.tensors[name] = vals
		wts = append(wts, safetensors.WriteTensor{Name: name, DType: s.dtype, Shape: shape, NBytes: int64(len(data)),
			Write: func(w io.Writer) error { _, err := w.Write(data); return err }})
	}
	H, q, kv := s.hidden, s.heads*s.headDim, s.kv*s.headDim
	add("model.embed_tokens.weight", []int{s.vocab, H}, 1, 0)
	for i := 0; i < s.layers; i++ {
		p := fmt.Sprintf("model.layers.%d.", i)
		add(p+"input_layernorm.weight", []int{H}, 0.2, 1)
		add(p+"post_attention_layernorm.weight", []int{H}, 0.2, 1)
		add(p+"self_attn.q_proj.weight", []int{q, H}, 1/math.Sqrt(float64(H))*1.7, 0)
		add(p+"self_attn.k_proj.weight", []int{kv, H}, 1/math.Sqrt(float64(H))*1.7, 0)
		add(p+"self_attn.v_proj.weight", []int{kv, H}, 1/math.Sqrt(float64(H))*1.7, 0)
		add(p+"self_attn.o_proj.weight", []int{H, q}, 1/math.Sqrt(float64(q))*1.7, 0)
		add(p+"mlp.gate_proj.weight", []int{s.inter, H}, 1/math.Sqrt(float64(H))*1.7, 0)
		add(p+"mlp.up_proj.weight", []int{s.inter, H}, 1/math.Sqrt(float64(H))*1.7, 0)
		add(p+"mlp.down_proj.weight", []int{H, s.inter}, 1/math.Sqrt(float64(s.inter))*1.7, 0)
	}
	add("model.norm.weight", []int{H}, 0.2, 1)
	if !s.tied {
		add("lm_head.weight", []int{s.vocab, H}, 2/math.Sqrt(float64(H)), 0)
	}
	dir := t.TempDir()
	if err := safetensors.WriteFile(filepath.Join(dir, "model.safetensors"), wts, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	cfg := map[string]any{
		"architectures": []string{"LlamaForCausalLM"}, "model_type": "llama",
		"hidden_size": H, "intermediate_size": s.inter, "num_hidden_layers": s.layers,
		"num_attention_heads": s.heads, "num_key_value_heads": s.kv, "vocab_size": s.vocab,
		"rms_norm_eps": 1e-5, "rope_theta": s.theta, "rope_scaling": s.rope, "hidden_act": "silu",
		"tie_word_embeddings": s.tied, "max_position_embeddings": 4096,
		"torch_dtype": map[string]string{"BF16": "bfloat16", "F16": "float16", "F32": "float32"}[s.dtype],
	}
	if s.explicitHeadDim {
		cfg["head_dim"] = s.headDim
	}
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, om
}

// invFreq is transformers' RoPE inverse frequencies in float64
// (modeling_rope_utils.py: default, linear, llama3).
func (om *oracleModel) invFreq() []float64 {
	s := om.s
	inv := make([]float64, s.headDim/2)
	for i := range inv {
		inv[i] = 1 / math.Pow(s.theta, float64(2*i)/float64(s.headDim))
	}
	if s.rope == nil {
		return inv
	}
	factor := s.rope["factor"].(float64)
	switch s.rope["rope_type"] {
	case "linear":
		for i := range inv {
			inv[i] /= factor
		}
	case "llama3":
		low, high := s.rope["low_freq_factor"].(float64), s.rope["high_freq_factor"].(float64)
		old := s.rope["original_max_position_embeddings"].(float64)
		for i, f := range inv {
			wl := 2 * math.Pi / f
			switch {
			case wl < old/high:
			case wl > old/low:
				inv[i] = f / factor
			default:
				sm := (old/wl - low) / (high - low)
				inv[i] = (1-sm)*f/factor + sm*f
			}
		}
	}
	return inv
}

// logits is a plain float64 LlamaForCausalLM forward over ids (every position).
func (om *oracleModel) logits(ids []int) [][]float64 {
	s := om.s
	w := om.tensors
	H, hd, T := s.hidden, s.headDim, len(ids)
	matvec := func(name string, rows int, x []float64) []float64 {
		m := w[name]
		cols := len(x)
		out := make([]float64, rows)
		for r := range out {
			var acc float64
			for c, v := range x {
				acc += m[r*cols+c] * v
			}
			out[r] = acc
		}
		return out
	}
	norm := func(x []float64, g string) []float64 {
		var ss float64
		for _, v := range x {
			ss += v * v
		}
		inv := 1 / math.Sqrt(ss/float64(len(x))+1e-5)
		out := make([]float64, len(x))
		for i, v := range x {
			out[i] = v * inv * w[g][i]
		}
		return out
	}
	inv := om.invFreq()
	rope := func(v []float64, pos int) {
		h := hd / 2
		for i := 0; i < h; i++ {
			c, sn := math.Cos(float64(pos)*inv[i]), math.Sin(float64(pos)*inv[i])
			a, b := v[i], v[i+h]
			v[i], v[i+h] = a*c-b*sn, b*c+a*sn
		}
	}
	xs := make([][]float64, T)
	for t, id := range ids {
		xs[t] = append([]float64(nil), w["model.embed_tokens.weight"][id*H:(id+1)*H]...)
	}
	for l := 0; l < s.layers; l++ {
		p := fmt.Sprintf("model.layers.%d.", l)
		qs, ks, vs := make([][]float64, T), make([][]float64, T), make([][]float64, T)
		for t := range xs {
			h := norm(xs[t], p+"input_layernorm.weight")
			qs[t] = matvec(p+"self_attn.q_proj.weight", s.heads*hd, h)
			ks[t] = matvec(p+"self_attn.k_proj.weight", s.kv*hd, h)
			vs[t] = matvec(p+"self_attn.v_proj.weight", s.kv*hd, h)
			for hh := 0; hh < s.heads; hh++ {
				rope(qs[t][hh*hd:(hh+1)*hd], t)
			}
			for hh := 0; hh < s.kv; hh++ {
				rope(ks[t][hh*hd:(hh+1)*hd], t)
			}
		}
		for t := range xs {
			ctx := make([]float64, s.heads*hd)
			for hh := 0; hh < s.heads; hh++ {
				kvh := hh / (s.heads / s.kv) // repeat_kv
				sc := make([]float64, t+1)
				mx := math.Inf(-1)
				for j := 0; j <= t; j++ {
					var d float64
					for i := 0; i < hd; i++ {
						d += qs[t][hh*hd+i] * ks[j][kvh*hd+i]
					}
					sc[j] = d / math.Sqrt(float64(hd))
					mx = math.Max(mx, sc[j])
				}
				var sum float64
				for j := range sc {
					sc[j] = math.Exp(sc[j] - mx)
					sum += sc[j]
				}
				for j := range sc {
					for i := 0; i < hd; i++ {
						ctx[hh*hd+i] += sc[j] / sum * vs[j][kvh*hd+i]
					}
				}
			}
			o := matvec(p+"self_attn.o_proj.weight", H, ctx)
			for i := range o {
				xs[t][i] += o[i]
			}
			h := norm(xs[t], p+"post_attention_layernorm.weight")
			g := matvec(p+"mlp.gate_proj.weight", s.inter, h)
			u := matvec(p+"mlp.up_proj.weight", s.inter, h)
			for i := range g {
				g[i] = g[i] / (1 + math.Exp(-g[i])) * u[i]
			}
			d := matvec(p+"mlp.down_proj.weight", H, g)
			for i := range d {
				xs[t][i] += d[i]
			}
		}
	}
	head := "lm_head.weight"
	if s.tied {
		head = "model.embed_tokens.weight"
	}
	out := make([][]float64, T)
	for t := range xs {
		out[t] = matvec(head, s.vocab, norm(xs[t], "model.norm.weight"))
	}
	return out
}

// TestCheckpointOracle runs random Llama checkpoints of other widths, head
// layouts, dtypes and RoPE variants and compares every position with a plain
// float64 implementation of transformers' LlamaForCausalLM forward: the same
// 1e-4 bound as against transformers' float32 logits.
func TestCheckpointOracle(t *testing.T) {
	llama3 := map[string]any{"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 16.0}
	cases := []struct {
		name string
		s    oracleShape
	}{
		{"bf16 GQA 6/2 llama3", oracleShape{hidden: 96, inter: 160, layers: 3, heads: 6, kv: 2, headDim: 16, vocab: 300, dtype: "BF16", rope: llama3, theta: 500000}},
		{"f32 head_dim 32 (q wider than hidden) MQA tied plain", oracleShape{hidden: 64, inter: 96, layers: 2, heads: 4, kv: 1, headDim: 32, explicitHeadDim: true, vocab: 257, dtype: "F32", tied: true, theta: 10000}},
		{"f16 MHA linear", oracleShape{hidden: 48, inter: 128, layers: 2, heads: 4, kv: 4, headDim: 12, vocab: 200, dtype: "F16", rope: map[string]any{"rope_type": "linear", "factor": 2.0}, theta: 10000}},
	}
	ids := []int{1, 17, 5, 199, 42, 42, 3, 150, 7, 88, 120, 9, 64, 31, 2, 199, 100, 11, 56, 78}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, om := writeOracleCheckpoint(t, c.s, uint64(i+1)*977)
			m, err := LoadCheckpoint(dir, Options{Threads: 2})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			got, err := m.Logits(ids)
			if err != nil {
				t.Fatal(err)
			}
			want := om.logits(ids)
			var worst, scale float64
			for p := range want {
				for j, v := range want[p] {
					worst = math.Max(worst, math.Abs(float64(got[p][j])-v))
					scale = math.Max(scale, math.Abs(v))
				}
			}
			t.Logf("max |Δ| %.3g over %d positions (logits up to %.2f)", worst, len(ids), scale)
			if worst > 1e-4 || !(scale > 0.5) {
				t.Fatalf("max |Δ| %.3g vs the float64 oracle (logit scale %.3g)", worst, scale)
			}
		})
	}
}
