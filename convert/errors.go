package convert

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrUnsupported marks a model or config ct2go does not convert.
	ErrUnsupported = errors.New("unsupported model")
	// ErrOutputExists is returned when the output directory exists and Force is not set.
	ErrOutputExists = errors.New("output directory exists (use --force to replace it)")
	// ErrNonFinite is returned when weights hold NaN or Inf and AllowNonFinite is not set.
	ErrNonFinite = errors.New("non-finite weights")
)

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
