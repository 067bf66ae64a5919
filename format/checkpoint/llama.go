package checkpoint

import (
	"github.com/ct2go/ct2go/format/hf"
	"github.com/ct2go/ct2go/format/safetensors"
)

// llamaFamily reads LlamaForCausalLM checkpoints (model_type "llama"); its
// tensor names are already the canonical ones.
type llamaFamily struct{}

var _ Family = llamaFamily{}

func (llamaFamily) Name() string { return "llama" }

func (llamaFamily) Text(dir string, cfg *hf.Config, ck *safetensors.Checkpoint) (*TextModel, error) {
	p, probs := ParamsFrom(&cfg.Text, cfg.TorchDType)
	tm := &TextModel{Dir: dir, Family: "llama", Config: cfg, Params: p, Tensors: map[string]Ref{}}
	for _, name := range ck.Names() {
		t := ck.Tensors[name]
		if isBuffer(name) {
			tm.Dropped++
			tm.DroppedBytes += t.NBytes
			continue
		}
		if name == "lm_head.weight" && p.Tied {
			tm.Notes = append(tm.Notes, "tie_word_embeddings: lm_head.weight in the checkpoint is ignored, the projection is the embedding (as transformers loads it)")
			tm.Dropped++
			tm.DroppedBytes += t.NBytes
			continue
		}
		tm.Tensors[name] = Ref{T: t, Rows: firstDim(t)}
	}
	if len(probs) > 0 {
		return nil, &ProblemsError{Dir: dir, Problems: probs}
	}
	if err := tm.finish(nil); err != nil {
		return nil, err
	}
	return tm, nil
}

func firstDim(t *safetensors.Tensor) int {
	if len(t.Shape) == 0 {
		return 0
	}
	return t.Shape[0]
}
