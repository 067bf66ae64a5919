// Package pyjson writes JSON byte for byte as Python's json module does
// (json.dumps / json.dump with its indent, separators, sort_keys and
// ensure_ascii arguments). Two callers need those exact bytes: format/ct2,
// because CTranslate2 writes config.json and vocabulary.json with json.dump,
// and the chat-template engine, whose tojson filter is json.dumps. Go's
// encoding/json differs in float formatting, escaping and layout.
//
// It imports only the standard library, so any package of ours may use it.
package pyjson

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
)

// Options are json.dumps' layout arguments.
type Options struct {
	// Indent is Python's indent: nil writes everything on one line; otherwise
	// every item starts a new line indented by Indent per level (indent=0 is
	// a pointer to "").
	Indent *string
	// ItemSep and KeySep are Python's separators pair.
	ItemSep, KeySep string
	// SortKeys orders map[string]any keys; Go maps have no order, so they are
	// always written sorted (code point order = UTF-8 byte order). Pairs keep
	// the order they come in: the caller sorts them, as Python sorts the
	// original keys before they become strings.
	SortKeys bool
	// EnsureASCII escapes every non-ASCII character as \uXXXX.
	EnsureASCII bool
	// Convert, if set, maps a value of a type this package does not know to
	// one it does (for example a template engine's own dict to Pairs); its
	// error is returned as is.
	Convert func(v any) (any, error)
}

// Pairs is a JSON object whose members are written in the given order.
type Pairs struct {
	Keys   []string
	Values []any
}

var twoSpaces = "  "

// Dump is json.dump(v, f, indent=2, sort_keys=True) with the default
// ensure_ascii=True: the layout CTranslate2 uses for its JSON files
// (model_spec.py:311-320, 612-624).
var Dump = Options{Indent: &twoSpaces, ItemSep: ",", KeySep: ": ", SortKeys: true, EnsureASCII: true}

// Marshal renders v. Known values: nil, bool, string, int, int64, *big.Int,
// json.Number (integers stay integers, anything with a fraction or exponent
// is a float), float32, float64, []string, []int, []any, map[string]any,
// Pairs, and whatever o.Convert turns into one of these.
func Marshal(v any, o Options) ([]byte, error) {
	var b strings.Builder
	if err := encode(&b, v, o, 0); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}

// MarshalString is Marshal returning a string.
func MarshalString(v any, o Options) (string, error) {
	var b strings.Builder
	if err := encode(&b, v, o, 0); err != nil {
		return "", err
	}
	return b.String(), nil
}

func encode(b *strings.Builder, v any, o Options, level int) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case string:
		Quote(b, x, o.EnsureASCII)
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case *big.Int:
		b.WriteString(x.String())
	case json.Number:
		if !strings.ContainsAny(string(x), ".eE") {
			b.WriteString(string(x))
			break
		}
		f, err := x.Float64()
		if err != nil {
			return err
		}
		b.WriteString(floatJSON(f))
	case float32:
		b.WriteString(floatJSON(float64(x)))
	case float64:
		b.WriteString(floatJSON(x))
	case []string:
		return encodeList(b, len(x), func(i int) any { return x[i] }, o, level)
	case []int:
		return encodeList(b, len(x), func(i int) any { return x[i] }, o, level)
	case []any:
		return encodeList(b, len(x), func(i int) any { return x[i] }, o, level)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		vals := make([]any, len(keys))
		for i, k := range keys {
			vals[i] = x[k]
		}
		return encodeObject(b, Pairs{keys, vals}, o, level)
	case Pairs:
		return encodeObject(b, x, o, level)
	default:
		if o.Convert == nil {
			return fmt.Errorf("pyjson: unsupported type %T", v)
		}
		c, err := o.Convert(v)
		if err != nil {
			return err
		}
		// One conversion per value: a Convert that hands back a type it
		// cannot convert would otherwise recurse forever.
		inner := o
		inner.Convert = nil
		switch c.(type) {
		case []any, Pairs:
			inner.Convert = o.Convert // containers convert their members again
		}
		return encode(b, c, inner, level)
	}
	return nil
}

func encodeList(b *strings.Builder, n int, item func(int) any, o Options, level int) error {
	if n == 0 {
		b.WriteString("[]")
		return nil
	}
	b.WriteByte('[')
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(o.ItemSep)
		}
		newline(b, o, level+1)
		if err := encode(b, item(i), o, level+1); err != nil {
			return err
		}
	}
	newline(b, o, level)
	b.WriteByte(']')
	return nil
}

func encodeObject(b *strings.Builder, p Pairs, o Options, level int) error {
	if len(p.Keys) == 0 {
		b.WriteString("{}")
		return nil
	}
	b.WriteByte('{')
	for i, k := range p.Keys {
		if i > 0 {
			b.WriteString(o.ItemSep)
		}
		newline(b, o, level+1)
		Quote(b, k, o.EnsureASCII)
		b.WriteString(o.KeySep)
		if err := encode(b, p.Values[i], o, level+1); err != nil {
			return err
		}
	}
	newline(b, o, level)
	b.WriteByte('}')
	return nil
}

func newline(b *strings.Builder, o Options, level int) {
	if o.Indent == nil {
		return
	}
	b.WriteByte('\n')
	for i := 0; i < level; i++ {
		b.WriteString(*o.Indent)
	}
}

// Quote writes s as a JSON string the way Python's encoder does
// (py_encode_basestring(_ascii)): `"` and `\` escaped, \b \f \n \r \t in
// short form, other control characters as \u00XX in lower-case hex; with
// ensureASCII every character outside printable ASCII (0x7f included) as
// \uXXXX, astral ones as surrogate pairs. Unlike encoding/json, <, > and &
// and U+2028/2029 are left alone. Invalid UTF-8 becomes U+FFFD.
func Quote(b *strings.Builder, s string, ensureASCII bool) {
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
		case r < 0x20:
			u4(b, r)
		case !ensureASCII || r <= '~':
			b.WriteRune(r)
		case r > 0xffff:
			r -= 0x10000
			u4(b, 0xd800|(r>>10)&0x3ff)
			u4(b, 0xdc00|r&0x3ff)
		default:
			u4(b, r)
		}
	}
	b.WriteByte('"')
}

func u4(b *strings.Builder, r rune) {
	const hex = "0123456789abcdef"
	b.WriteString(`\u`)
	b.WriteByte(hex[r>>12&0xf])
	b.WriteByte(hex[r>>8&0xf])
	b.WriteByte(hex[r>>4&0xf])
	b.WriteByte(hex[r&0xf])
}

// floatJSON is how json.dumps writes a float: repr, except that the
// non-finite values are NaN, Infinity and -Infinity (allow_nan=True).
func floatJSON(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return FloatRepr(f)
}

// FloatRepr is Python's repr(float): the shortest digits that round-trip,
// fixed notation when the decimal exponent is in [-4, 16), otherwise
// d.ddde±XX with at least two exponent digits; integral values keep ".0";
// nan, inf and -inf for the non-finite values.
func FloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
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
		switch {
		case exp < 0:
			return sign + "0." + strings.Repeat("0", -exp-1) + digits
		case exp+1 >= len(digits):
			return sign + digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
		default:
			return sign + digits[:exp+1] + "." + digits[exp+1:]
		}
	}
	es := "+"
	if exp < 0 {
		es, exp = "-", -exp
	}
	e := strconv.Itoa(exp)
	if len(e) < 2 {
		e = "0" + e
	}
	return sign + mant + "e" + es + e
}
