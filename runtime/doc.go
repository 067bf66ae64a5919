// Package runtime is ct2go's pure-Go reference inference for CTranslate2 Llama
// decoders (model.bin version 5/6, spec TransformerDecoderSpec). It is the
// "verify" stage of the pipeline: it loads what the converter wrote and
// reproduces CTranslate2 4.8.1's CPU numerics (shared/docs/ctranslate2-runtime.md).
//
// Loading maps model.bin read-only (format/ct2): weights are views into the
// mapping, never heap copies, except where CTranslate2 itself converts at load
// (int16 weights re-quantized to int8 for the int8 path, float weights
// quantized when int8 compute is requested on a float model).
//
// Two compute paths:
//
//   - ComputeFloat32: every weight is used as float32 (f16/bf16 widened,
//     int8 as float(q)*(1/scale), int16 as float(q)*(1/scale)), rows are
//     widened on the fly per block so an 8B model never has an f32 copy.
//     This is the exactness path (CT2 float32 reaches 3e-6 vs transformers).
//   - ComputeInt8: CTranslate2's int8_float32: per-token dynamic activation
//     quantization (127/amax, round-half-even), exact int8×int8→int32 GEMM,
//     dequantization (float(c)*(1/scale_a))/scale_w; norms, rotary,
//     attention, softmax and residuals stay float32.
//
// Each weight matrix is streamed once per forward call: decode is a GEMV per
// matrix split by output rows across Options.Threads goroutines, prefill a
// GEMM over all prompt tokens that reuses each weight row for every token.
package runtime
