package convert

import (
	"fmt"

	"github.com/ct2go/ct2go/format/checkpoint"
	"github.com/ct2go/ct2go/format/hf"
)

// Source is an opened checkpoint seen through its family.
type Source struct{ *checkpoint.Source }

// Open reads config.json, maps the shards and extracts the Llama text model,
// reporting every structural problem at once. Nothing is written.
func Open(dir string) (*Source, error) {
	s, err := checkpoint.Open(dir)
	if err != nil {
		return nil, err
	}
	return &Source{s}, nil
}

// NewPlan computes the complete output from headers and small files: the
// sorted variables with dtypes and sizes, aliases, config.json and the
// vocabulary. Aliases need a look at the first row of each tensor.
func (s *Source) NewPlan(quantization string, compat bool) (*Plan, error) {
	q, err := parseQuant(quantization)
	if err != nil {
		return nil, err
	}
	tm := s.Text
	p := tm.Params
	vars := llamaVars(tm, compat)
	for _, v := range vars {
		if v.Kind != kindScalar {
			v.load = loadDType(q, p, v.srcs[0].T.DType)
		}
	}
	kept, aliases := findAliases(vars)
	plan := &Plan{Vars: finalize(kept, q, p), Aliases: aliases, quant: q, text: tm}
	plan.Notes = append(plan.Notes, tm.Notes...)
	for _, a := range aliases {
		plan.Notes = append(plan.Notes, fmt.Sprintf("%s equals %s: stored once, as an alias", a.Name, a.Target))
	}

	tokens, err := hf.Vocabulary(s.Dir)
	if err != nil {
		return nil, fmt.Errorf("vocabulary: %w", err)
	}
	// LlamaLoader.get_vocabulary (transformers.py:1769-1778): pad with
	// <extra_id_N> or truncate to vocab_size.
	switch n := len(tokens); {
	case n < p.Vocab:
		for i := 0; n+i < p.Vocab; i++ {
			tokens = append(tokens, fmt.Sprintf("<extra_id_%d>", i))
		}
		plan.Notes = append(plan.Notes, fmt.Sprintf("vocabulary padded from %d to vocab_size %d tokens with <extra_id_N>", n, p.Vocab))
	case n > p.Vocab:
		plan.Notes = append(plan.Notes, fmt.Sprintf("vocabulary truncated from %d to vocab_size %d tokens (dropped: %s), as CTranslate2 does", n, p.Vocab, summarizeTokens(tokens[p.Vocab:])))
		tokens = tokens[:p.Vocab]
	}
	plan.Vocab = tokens

	st, err := hf.ReadSpecialTokens(s.Dir)
	if err != nil {
		return nil, err
	}
	str := func(p *string) any {
		if p == nil {
			return nil
		}
		return *p
	}
	unk := any("")
	if st.Unk != nil {
		unk = *st.Unk
	}
	// LlamaLoader.set_config + TransformerDecoderSpec config (v4.7+: no quantization_* keys).
	plan.Config = map[string]any{
		"bos_token":             str(st.Bos),
		"eos_token":             str(st.Eos),
		"unk_token":             unk,
		"layer_norm_epsilon":    p.Eps,
		"multi_query_attention": true, // multi_query_attention or num_heads_kv != num_heads, with num_heads_kv=None when equal
	}
	return plan, nil
}

func summarizeTokens(t []string) string {
	if len(t) <= 3 {
		return fmt.Sprintf("%q", t)
	}
	return fmt.Sprintf("%q … %d more", t[:3], len(t)-3)
}

// DefaultCopyFiles are copied from the checkpoint into the output when
// present: the tokenizer and chat template (so the model runs as is) and
// the license files that must travel with Llama Materials.
var DefaultCopyFiles = []string{
	"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
	"generation_config.json", "chat_template.json", "chat_template.jinja",
	"LICENSE", "LICENSE.txt", "LICENSE.md", "NOTICE", "NOTICE.txt", "USE_POLICY.md",
}
