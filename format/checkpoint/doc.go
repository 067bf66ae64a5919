// Package checkpoint reads a Hugging Face checkpoint (config.json and
// safetensors shards) as the canonical Llama text model it contains: a
// Family (llama.go, mllama.go) maps every supported key layout (Mllama hub,
// transformers-5 `model.language_model.…`, MllamaForCausalLM, plain Llama
// with or without tied embeddings) onto LlamaForCausalLM tensor names, each a
// Ref to (the first rows of) a memory-mapped tensor, and validates the config
// into Params. Both convert (to write CTranslate2 models) and runtime (to run
// a checkpoint directly) build on it, so the mapping exists once.
package checkpoint
