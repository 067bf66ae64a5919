// Package tokenizer implements the Llama 3.x tokenizer (byte-level BPE as written by Hugging Face
// tokenizers in tokenizer.json) and the model's chat template, matching Hugging Face exactly:
// Encode equals tokenizers' Tokenizer.encode, Decode equals transformers'
// PreTrainedTokenizerFast.decode (including clean_up_tokenization_spaces), and ApplyChatTemplate
// equals transformers' apply_chat_template rendered with Python Jinja2.
//
// Only the Llama 3 kind of tokenizer.json is accepted (BPE model, no normalizer, the Llama 3 Split
// regex followed by ByteLevel, ByteLevel decoder); anything else is rejected with an error naming
// the field. The Split regex needs a look-ahead that Go's regexp lacks, so the pre-tokenizer is a
// hand-written scanner (pretok.go) whose equivalence is tested against the golden data.
//
// The chat template engine (a Jinja2 subset with Python semantics) lives in the jinja subpackage.
package tokenizer
