// Package verify judges a CTranslate2 model by running it with the pure-Go
// runtime and comparing its logits with reference logits: a file made by
// transformers (scripts/reference_logits.py) or CTranslate2, or a second
// CTranslate2 model (`ct2go verify --against`).
//
// Reference file: safetensors with, per prompt NAME, NAME.input_ids (I64 [T])
// and NAME.logits (F32 [T, V], row t predicting token t+1), optional
// __metadata__ {"source": ...}; optionally zstd-compressed. LoadReference
// validates it completely before anything runs.
//
// Metrics per prompt and overall (metrics.go): max and mean |Δlogit|,
// KL(P_ref ‖ Q_model) from float64 log-softmax (mean, p99, max over positions),
// top-1 agreement, top-5 overlap, both perplexities on the prompt tokens and
// their ratio, NaN/Inf counts. Thresholds per compute type and weight type
// (report.go) give the verdict.
//
// Corpus mode (corpus.go, llamastats.go): a text cut into llama-perplexity's
// windows, their second halves compared, and llama-perplexity's statistics
// (PPL(Q), PPL(base), ratio, difference, correlation, KLD mean and
// percentiles, Δp, same top p, each with its standard error). Reports are
// text, JSON or a self-contained HTML page with SVG charts (html.go).
//
// The package imports runtime, format and tokenizer only, never convert, so
// it can judge any converter's output.
//
// Subpackage generate holds the decoding loop and samplers of `ct2go run`.
package verify
