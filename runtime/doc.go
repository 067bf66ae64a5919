// Package runtime is ct2go's pure-Go reference inference for CTranslate2 Llama
// decoders (model.bin version 5/6, spec TransformerDecoderSpec). It is the
// "verify" stage of the pipeline: it loads what the converter wrote and
// reproduces CTranslate2 4.8.1's CPU numerics (shared/docs/ctranslate2-runtime.md).
//
//	m, err := runtime.Load(dir, runtime.Options{Compute: runtime.ComputeDefault, Threads: 0})
//	m, err := runtime.LoadCheckpoint(hfDir, opts) // a Hugging Face checkpoint, float32 (checkpoint.go)
//	s := m.NewSession(maxLen)                // owns the KV cache
//	logits, err := s.Prefill(ids, true)      // [T][V] (or [1][V] for the last position)
//	next, err := s.Step(id)                  // one decode step, [V]
//	all, err := m.Logits(ids)                // one-shot prefill, every position
//	r, err := runtime.Bench(m, runtime.BenchOptions{PromptTokens: 128, NewTokens: 64})
//
// Loading maps model.bin read-only (format/ct2): weights are views into the
// mapping, never heap copies, except where CTranslate2 itself converts at load
// (int16 weights re-quantized to int8 for the int8 path, float weights
// quantized when int8 compute is requested on a float model). Load refuses
// anything that is not a Llama-style decoder (other specs, unknown variables,
// alibi, post-norm, non-SwiGLU, interleaved or partial rotary, other rope
// scalings, inconsistent shapes) with ErrUnsupported or a one-line error
// naming the variable. Scalars are read with CTranslate2's defaults, so a
// model without rotary_scaling_factor / original_max_position_embeddings runs
// plain RoPE exactly like stock CTranslate2 (Config.Llama3ScalarsMissing).
//
// LoadCheckpoint builds the same Model from a Hugging Face checkpoint
// (format/checkpoint's canonical Llama view of Mllama or Llama shards): the
// weights are views into the mapped shards in their stored dtype (bf16/f16
// widened exactly per block, like a bfloat16 model.bin on the float32 path),
// q/k/v stay three matrices, and the config's RMSNorm epsilon and llama3 RoPE
// scalars replace model.bin's. It is how `ct2go reference` makes reference
// logits without transformers (max |Δ| 3.6e-6 vs transformers on the fixture).
//
// Two compute paths:
//
//   - ComputeFloat32: every weight is used as float32 (f16/bf16 widened
//     exactly, int8 and int16 as float(q)*(1/scale)), so an 8B model never
//     gets an f32 copy: f16/bf16 weights go straight to kernels that widen
//     in registers or in small L2 panels (kernels.GemvHalf, GemmHalfPacked),
//     int8/int16 rows are dequantized per block. Prefill packs each linear
//     call's tokens once (kernels.PackedF32) for the register-tiled GEMM. This
//     is the exactness path (max |Δ| 3e-6 vs transformers on the fixture).
//   - ComputeInt8: CTranslate2's int8_float32: per-token dynamic activation
//     quantization (127/amax, round-half-even), exact int8×int8→int32 GEMM,
//     dequantization (float(c)*(1/scale_a))/scale_w; embeddings
//     float(q)*(1/scale); norms, rotary, attention, softmax and residuals stay
//     float32. The lm_head is int8 too.
//
// ComputeDefault resolves as CTranslate2 on CPU: int8* and int16 models run
// int8, float16/bfloat16/float32 models run float32.
//
// Performance design: each weight matrix is streamed once per forward call.
// Decode is a GEMV per matrix split by output rows across Options.Threads
// goroutines (a small pool with dynamically handed-out row chunks); prefill is
// one GEMM over all prompt tokens per matrix, so each weight row is reused for
// every token (int8: the tokens are quantized and packed once per input, the
// FFN gate and up sharing one). Attention runs per (token, KV head) on the
// same pool, with the value cache stored transposed so both attention products
// are GEMVs over rows (kernels.GemvF32Multi: each key and value row read once
// for the KV head's group of query heads); in a prompt, norms, rotary and
// residuals are split across the pool by token.
//
// Speed work never changes a bit of the outputs: every kernel a level uses
// computes each output with the same operations in the same order whatever the
// tiling, packing or thread split, and SiLU/softmax's exp replay math.Exp.
// TestOutputsPinned holds the logits of every compute path and kernel level to
// recorded digests.
package runtime
