package ct2

import "fmt"

// DType is a model.bin data type id (model_spec.py:280-289, types.h:16-23).
type DType uint8

const (
	Float32  DType = 0
	Int8     DType = 1
	Int16    DType = 2
	Int32    DType = 3
	Float16  DType = 4
	BFloat16 DType = 5
)

var dtypeNames = [...]string{"float32", "int8", "int16", "int32", "float16", "bfloat16"}
var dtypeSizes = [...]int{4, 1, 2, 4, 2, 2}

// Valid reports whether d is one of the six ids CTranslate2 knows.
func (d DType) Valid() bool { return int(d) < len(dtypeNames) }

// String returns CTranslate2's name for the type ("float32", "int8", ...).
func (d DType) String() string {
	if !d.Valid() {
		return fmt.Sprintf("dtype(%d)", uint8(d))
	}
	return dtypeNames[d]
}

// Size is the item size in bytes (0 for an invalid id).
func (d DType) Size() int {
	if !d.Valid() {
		return 0
	}
	return dtypeSizes[d]
}

// IsFloat reports whether d is float32, float16 or bfloat16.
func (d DType) IsFloat() bool { return d == Float32 || d == Float16 || d == BFloat16 }

// ParseDType maps a CTranslate2 type name to its id.
func ParseDType(s string) (DType, error) {
	for i, n := range dtypeNames {
		if n == s {
			return DType(i), nil
		}
	}
	return 0, fmt.Errorf("unknown dtype %q", s)
}
