package checkpoint

import (
	"errors"
	"fmt"
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
	return fmt.Sprintf("%s: %d problems: %s", e.Dir, len(e.Problems), strings.Join(e.Problems, "; "))
}
