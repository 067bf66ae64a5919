package convert

import (
	"errors"
	"fmt"

	"github.com/ct2go/ct2go/format/checkpoint"
)

// The library names no command-line flag: callers word these errors in
// their own terms (cmd/ct2go adds "--force", "--copy_files", ...).
var (
	// ErrUnsupported marks a model or config ct2go does not convert (the
	// same value as checkpoint.ErrUnsupported, which the family mapping returns).
	ErrUnsupported = checkpoint.ErrUnsupported
	// ErrOutputExists is matched by every refusal to replace an existing
	// output (OutputExistsError, ForeignOutputError).
	ErrOutputExists = errors.New("output directory exists")
	// ErrNonFinite is matched by NonFiniteError.
	ErrNonFinite = errors.New("non-finite weights")
)

// Replace says what may become of an existing output directory.
type Replace int

const (
	// KeepExisting refuses any existing output (OutputExistsError).
	KeepExisting Replace = iota
	// ReplaceOutput replaces a previous output: a directory holding only
	// files a conversion writes (ForeignOutputError otherwise).
	ReplaceOutput
	// ReplaceAnything replaces whatever is at the output path.
	ReplaceAnything
)

// OutputExistsError: the output path exists and Replace is KeepExisting.
type OutputExistsError struct{ Path string }

func (e *OutputExistsError) Error() string        { return e.Path + ": output directory exists" }
func (e *OutputExistsError) Is(target error) bool { return target == ErrOutputExists }

// ForeignOutputError: the output path holds something a conversion does
// not write (File, relative to Path; "" when Path itself is not a
// directory), so ReplaceOutput refuses to delete it.
type ForeignOutputError struct{ Path, File string }

func (e *ForeignOutputError) Error() string {
	if e.File == "" {
		return fmt.Sprintf("%s exists and is not a directory, so not a previous output", e.Path)
	}
	return fmt.Sprintf("%s holds %s, which is not part of a previous output", e.Path, e.File)
}
func (e *ForeignOutputError) Is(target error) bool { return target == ErrOutputExists }

// OutputHoldsInputError: replacing Out would delete the input checkpoint In.
type OutputHoldsInputError struct{ Out, In string }

func (e *OutputHoldsInputError) Error() string {
	return fmt.Sprintf("replacing %s would delete the input checkpoint %s inside it", e.Out, e.In)
}

// NonFiniteError: a weight holds NaN or Inf and AllowNonFinite is not set.
type NonFiniteError struct {
	Variable string // the model.bin variable
	Tensor   string // its source tensor(s), "name in shard", comma-separated
	File     string // the shard of the first source tensor
	Count    int64  // NaN/Inf values found
}

func (e *NonFiniteError) Error() string {
	return fmt.Sprintf("%s: %s (from %s) has %d NaN/Inf values", ErrNonFinite, e.Variable, e.Tensor, e.Count)
}
func (e *NonFiniteError) Is(target error) bool { return target == ErrNonFinite }

// CopyFileError: an extra file requested for the output cannot be copied.
type CopyFileError struct {
	Name   string // as requested
	Reason string // e.g. "does not exist in DIR"
}

func (e *CopyFileError) Error() string { return fmt.Sprintf("copy %q: %s", e.Name, e.Reason) }

// ProblemsError lists every problem found in a checkpoint at once (defined
// in format/checkpoint, where the family mapping returns it).
type ProblemsError = checkpoint.ProblemsError

// SortProblems returns problems ordered by the first layer number they name,
// then by text (checkpoint.SortProblems).
func SortProblems(problems []string) []string { return checkpoint.SortProblems(problems) }
