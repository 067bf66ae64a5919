// Package tokenizer implements the Llama 3.x tokenizer (byte-level BPE as written by Hugging Face
// tokenizers in tokenizer.json) and the model's chat template, matching Hugging Face exactly:
// Encode equals tokenizers' Tokenizer.encode, Decode equals transformers'
// PreTrainedTokenizerFast.decode (including clean_up_tokenization_spaces), and ApplyChatTemplate
// equals transformers' apply_chat_template rendered with Python Jinja2.
//
// Only the Llama 3 kind of tokenizer.json is accepted (BPE model, no normalizer, the Llama 3 Split
// regex followed by ByteLevel, ByteLevel decoder); anything else is rejected with an error naming
// the field. The Split regex needs a look-ahead that Go's regexp lacks, so the pre-tokenizer is a
// hand-written scanner (pretok.go). Its character classes are Unicode 16.0 like HF's Oniguruma
// (Go's tables are 15.0; pretok.go adds the difference).
//
// Main entry points:
//
//	tok, err := tokenizer.Load(dir)              // tokenizer.json (+ tokenizer_config.json, chat template)
//	ids := tok.Encode(text, true)                // add_special_tokens=True: <|begin_of_text|> prepended
//	text := tok.Decode(ids, skipSpecial)         // with clean_up_tokenization_spaces from the config
//	d := tok.NewStreamDecoder(false); d.Add(id)  // incremental text, whole UTF-8 characters only
//	prompt, ids, err := tok.EncodeChat(msgs, tokenizer.ChatOptions{AddGenerationPrompt: true})
//
// CLI helpers: Tokenize, FormatIDs, ParseIDs, CheckIDs, ParseChatRequest + Chat. The chat
// template engine (a Jinja2 subset with Python semantics) lives in the jinja subpackage.
//
// Verification: tests cover every case of the fixture golden.json (HF tokenizers + Python
// Jinja2) plus Jinja golden files made with Python Jinja2; scripts/bench-tokenizer compares ids
// with npm tokenizers on 4 MB of text, 20,000 random strings and the class of every code point.
package tokenizer
