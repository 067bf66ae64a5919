package checkpoint

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ErrUnsupported marks a model or config ct2go cannot read as a Llama text model.
var ErrUnsupported = errors.New("unsupported model")

// ProblemsError lists every problem found in a checkpoint at once, so a
// user fixes them in one round.
type ProblemsError struct {
	Dir      string
	Problems []string
}

func (e *ProblemsError) Error() string {
	if len(e.Problems) == 1 {
		return fmt.Sprintf("%s: %s", e.Dir, e.Problems[0])
	}
	return fmt.Sprintf("%s: %d problems: %s", e.Dir, len(e.Problems), strings.Join(SortProblems(e.Problems), "; "))
}

// SortProblems returns problems ordered by the first layer number they
// name ("layers.N." or "layer_N/"; problems naming none come first), then
// by text, so a long list reads like the checkpoint.
func SortProblems(problems []string) []string {
	s := slices.Clone(problems)
	slices.SortStableFunc(s, func(a, b string) int {
		return cmp.Or(cmp.Compare(layerOf(a), layerOf(b)), strings.Compare(a, b))
	})
	return s
}

func layerOf(s string) int {
	for _, pre := range []string{"layers.", "layer_", "layer "} {
		for i := 0; ; {
			j := strings.Index(s[i:], pre)
			if j < 0 {
				break
			}
			i += j + len(pre)
			k := i
			for k < len(s) && s[k] >= '0' && s[k] <= '9' {
				k++
			}
			if k > i {
				if n, err := strconv.Atoi(s[i:k]); err == nil {
					return n
				}
			}
		}
	}
	return -1
}
