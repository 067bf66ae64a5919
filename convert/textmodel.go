package convert

import (
	"github.com/ct2go/ct2go/format/checkpoint"
	"github.com/ct2go/ct2go/format/safetensors"
)

// The checkpoint → canonical Llama text model mapping lives in
// format/checkpoint (the runtime reads checkpoints through it too); these
// names keep convert's vocabulary.
type (
	Ref       = checkpoint.Ref
	TextModel = checkpoint.TextModel
	Params    = checkpoint.Params
)

const (
	ropeLinear = checkpoint.RopeLinear
	ropeLlama3 = checkpoint.RopeLlama3
)

// firstDim is a tensor's row count (0 for a scalar).
func firstDim(t *safetensors.Tensor) int {
	if len(t.Shape) == 0 {
		return 0
	}
	return t.Shape[0]
}
