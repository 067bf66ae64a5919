package ct2

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Python's json.dump(obj, indent=2, sort_keys=True, ensure_ascii=True) output,
// which is what CTranslate2 writes for config.json and vocabulary.json
// (model_spec.py:311-320, 612-624). Go's encoding/json differs in float
// formatting and escaping, so the bytes are produced here.

// PyJSON renders v with Python json's indent=2, sort_keys=True formatting.
// Supported values: nil, bool, string, int, int64, float32, float64,
// []string, []int, []any, map[string]any.
func PyJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := pyEncode(&b, v, 0); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func pyEncode(b *bytes.Buffer, v any, depth int) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case string:
		PyQuote(b, x)
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case json.Number:
		// A number decoded with UseNumber: integers stay integers, anything
		// with a fraction or exponent is a Python float.
		if strings.ContainsAny(string(x), ".eE") {
			f, err := x.Float64()
			if err != nil {
				return err
			}
			b.WriteString(PyFloatRepr(f))
		} else {
			b.WriteString(string(x))
		}
	case float32:
		b.WriteString(PyFloatRepr(float64(x)))
	case float64:
		b.WriteString(PyFloatRepr(x))
	case []string:
		items := make([]any, len(x))
		for i := range x {
			items[i] = x[i]
		}
		return pyEncode(b, items, depth)
	case []int:
		items := make([]any, len(x))
		for i := range x {
			items[i] = x[i]
		}
		return pyEncode(b, items, depth)
	case []any:
		if len(x) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteString("[")
		for i, item := range x {
			if i > 0 {
				b.WriteString(",")
			}
			newline(b, depth+1)
			if err := pyEncode(b, item, depth+1); err != nil {
				return err
			}
		}
		newline(b, depth)
		b.WriteString("]")
	case map[string]any:
		if len(x) == 0 {
			b.WriteString("{}")
			return nil
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		// Python sorts str keys by code point; for UTF-8 that equals byte order.
		sort.Strings(keys)
		b.WriteString("{")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(",")
			}
			newline(b, depth+1)
			PyQuote(b, k)
			b.WriteString(": ")
			if err := pyEncode(b, x[k], depth+1); err != nil {
				return err
			}
		}
		newline(b, depth)
		b.WriteString("}")
	default:
		return fmt.Errorf("pyjson: unsupported type %T", v)
	}
	return nil
}

func newline(b *bytes.Buffer, depth int) {
	b.WriteByte('\n')
	for i := 0; i < depth; i++ {
		b.WriteString("  ")
	}
}

// PyQuote writes s as Python's json module does with ensure_ascii=True
// (py_encode_basestring_ascii): printable ASCII stays, `"` and `\` are
// escaped, \b \f \n \r \t use short forms, everything else becomes \uXXXX with
// lowercase hex, astral characters as surrogate pairs.
func PyQuote(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	u4 := func(r rune) {
		b.WriteString(`\u`)
		b.WriteByte(hex[r>>12&0xf])
		b.WriteByte(hex[r>>8&0xf])
		b.WriteByte(hex[r>>4&0xf])
		b.WriteByte(hex[r&0xf])
	}
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r >= ' ' && r <= '~':
			b.WriteByte(byte(r))
		case r > 0xffff:
			r -= 0x10000
			u4(0xd800 | (r>>10)&0x3ff)
			u4(0xdc00 | r&0x3ff)
		default:
			u4(r)
		}
	}
	b.WriteByte('"')
}

// PyFloatRepr formats f like Python's repr(float): the shortest digits that
// round-trip, fixed notation when the decimal exponent is in [-4, 16),
// otherwise d.ddde±XX; integral values keep ".0". json.dump writes NaN and
// ±Infinity for non-finite values.
func PyFloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // e.g. "-1.2345e-05"
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	mant, expStr, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(expStr)
	digits := strings.Replace(mant, ".", "", 1)
	if exp >= -4 && exp < 16 {
		var out string
		switch {
		case exp < 0:
			out = "0." + strings.Repeat("0", -exp-1) + digits
		case exp+1 >= len(digits):
			out = digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
		default:
			out = digits[:exp+1] + "." + digits[exp+1:]
		}
		return sign + out
	}
	m := digits[:1]
	if len(digits) > 1 {
		m += "." + digits[1:]
	}
	es := "+"
	if exp < 0 {
		es, exp = "-", -exp
	}
	e := strconv.Itoa(exp)
	if len(e) < 2 {
		e = "0" + e
	}
	return sign + m + "e" + es + e
}
