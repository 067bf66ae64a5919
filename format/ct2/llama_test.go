package ct2

import (
	"bytes"
	"testing"

	"github.com/ct2go/ct2go/internal/testfix"
)

func TestScalarEncode(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		s    Scalar
		v    float64
		want []byte
	}{
		{AlignmentLayer, -1, []byte{0xff, 0xff}},
		{Activation, ActivationSwish, []byte{2}},
		{NumHeadsKV, 8, []byte{8, 0, 0, 0}},
		{OriginalMaxPositionEmbeddings, 8192, []byte{0, 0x20, 0, 0}},
		{RotaryScalingFactor, 8, []byte{0, 0, 0, 0x41}},
		{RotaryBase, 500000, []byte{0, 0x24, 0xf4, 0x48}},
	} {
		if got := c.s.Encode(c.v); !bytes.Equal(got, c.want) {
			t.Errorf("%s.Encode(%v) = % x, want % x", c.s.Name, c.v, got, c.want)
		}
	}
}

// TestLlamaTableMatchesGolden checks the table against the golden
// MANIFESTs of CTranslate2 4.8.1's output (ct2-compat) and ct2go's: every
// name exists with the table's dtype, the fixed values are the bytes written
// (sha256 of the payload), and the llama3 scalars CTranslate2 omits are
// absent from its output and present in ct2go's.
func TestLlamaTableMatchesGolden(t *testing.T) {
	t.Parallel()
	for _, variant := range []string{"ct2-compat", "ct2go"} {
		m := testfix.ReadManifest(t, variant, "int8_float16")
		if m.ModelBin.Spec != DecoderSpecName || m.ModelBin.Revision != DecoderSpecRevision {
			t.Errorf("%s: spec %s revision %d, want %s %d", variant, m.ModelBin.Spec, m.ModelBin.Revision, DecoderSpecName, DecoderSpecRevision)
		}
		type entry struct{ dtype, sha256 string }
		vars := map[string]entry{}
		for _, v := range m.ModelBin.Variables {
			vars[v.Name] = entry{v.DType, v.SHA256}
		}
		const anyValue = -1e300
		check := func(s Scalar, prefix string, want float64) {
			t.Helper()
			v, ok := vars[prefix+s.Name]
			switch {
			case !ok:
				t.Errorf("%s: no %s%s", variant, prefix, s.Name)
			case v.dtype != s.DType.String():
				t.Errorf("%s: %s%s is %s, table says %v", variant, prefix, s.Name, v.dtype, s.DType)
			case want != anyValue && v.sha256 != sum(s.Encode(want)):
				t.Errorf("%s: %s%s is not %v", variant, prefix, s.Name, want)
			}
		}
		check(NumHeads, "", anyValue)
		for _, c := range LlamaDecoderConstants {
			check(c.Scalar, "", c.Value)
		}
		l := LayerPrefix(0)
		check(RotaryDim, l, LlamaRotaryDim)
		check(RotaryInterleave, l, LlamaRotaryInterleave)
		check(RotaryScalingType, l, RotaryScalingLlama3)
		for _, s := range []Scalar{RotaryBase, NumHeadsKV, RotaryLowFreqFactor, RotaryHighFreqFactor} {
			check(s, l, anyValue)
		}
		for _, s := range Llama3Omitted {
			if variant == "ct2go" {
				check(s, l, anyValue)
			} else if _, ok := vars[l+s.Name]; ok {
				t.Errorf("%s: CTranslate2 does not write %s%s", variant, l, s.Name)
			}
		}
		for _, name := range []string{VarEmbeddings, VarEmbeddings + ScaleSuffix, VarFinalNorm, VarProjection,
			l + AttnNorm, l + FFNNorm, l + AttnQKV + Weight, l + AttnOut + Weight, l + FFNGate + Weight,
			l + FFNUp + Weight, l + FFNDown + Weight + ScaleSuffix} {
			if _, ok := vars[name]; !ok {
				t.Errorf("%s: no variable %s", variant, name)
			}
		}
	}
}
