package convert

import (
	"fmt"
	"strings"

	"github.com/ct2go/ct2go/format/ct2"
)

// Quantizations lists the CTranslate2 weight types, in the converter's order.
var Quantizations = []string{"int8", "int8_float32", "int8_float16", "int8_bfloat16", "int16", "float16", "bfloat16", "float32"}

// quant describes what a quantization type does (model_spec.py _quantize).
type quant struct {
	name        string
	weight      ct2.DType // dtype of quantizable weights
	other       ct2.DType // dtype of other float variables (gammas, biases)
	keepOther   bool      // int8: other float variables keep their loaded dtype
	loadFloat16 bool      // ct2-transformers-converter loads with dtype=float16 (transformers.py:3663)
}

func parseQuant(s string) (quant, error) {
	q := quant{name: s}
	switch s {
	case "int8":
		q.weight, q.keepOther = ct2.Int8, true
	case "int8_float32":
		q.weight, q.other = ct2.Int8, ct2.Float32
	case "int8_float16":
		q.weight, q.other, q.loadFloat16 = ct2.Int8, ct2.Float16, true
	case "int8_bfloat16":
		q.weight, q.other = ct2.Int8, ct2.BFloat16
	case "int16":
		q.weight, q.other = ct2.Int16, ct2.Float32
	case "float16":
		q.weight, q.other, q.loadFloat16 = ct2.Float16, ct2.Float16, true
	case "bfloat16":
		q.weight, q.other = ct2.BFloat16, ct2.BFloat16
	case "float32":
		q.weight, q.other = ct2.Float32, ct2.Float32
	default:
		return q, fmt.Errorf("unknown quantization %q (supported: %s)", s, strings.Join(Quantizations, ", "))
	}
	return q, nil
}
