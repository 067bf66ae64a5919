package convert

import (
	"errors"

	"github.com/ct2go/ct2go/format/checkpoint"
)

var (
	// ErrUnsupported marks a model or config ct2go does not convert (the
	// same value as checkpoint.ErrUnsupported, which the family mapping returns).
	ErrUnsupported = checkpoint.ErrUnsupported
	// ErrOutputExists is returned when the output directory exists and Force is not set.
	ErrOutputExists = errors.New("output directory exists (use --force to replace it)")
	// ErrNonFinite is returned when weights hold NaN or Inf and AllowNonFinite is not set.
	ErrNonFinite = errors.New("non-finite weights")
)

// ProblemsError lists every problem found in a checkpoint at once.
type ProblemsError = checkpoint.ProblemsError
