// Package convert turns a Hugging Face checkpoint (Mllama / Llama-3.2-Vision
// or Llama, safetensors) into a CTranslate2 Llama model directory, byte for
// byte as CTranslate2 4.8.1's ct2-transformers-converter writes it for the
// equivalent Llama checkpoint (plus, by default, the two llama3 RoPE scalars
// its runtime reads but its converter never writes).
//
// Stages: a Family (llama.go, mllama.go) maps checkpoint tensors onto a
// canonical Llama text model (TextModel); spec.go turns that into the sorted
// list of CTranslate2 variables (the Plan, known from headers alone);
// pipeline.go streams every variable through decode → load-dtype rounding →
// quantize → model.bin, one row chunk at a time, in parallel across cores,
// into a temporary directory renamed into place at the end.
package convert
