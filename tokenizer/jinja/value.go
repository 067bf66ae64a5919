package jinja

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ct2go/ct2go/internal/pyjson"
)

// Values are plain Go values:
//
//	nil        Python None
//	bool       bool
//	int64      int
//	float64    float
//	string     str
//	[]any      list (tuples too)
//	*Dict      dict (insertion ordered)
//	*Namespace jinja2 namespace()
//	*Func      callable (globals, bound methods, macros)
//	Undefined  jinja2.Undefined
//	*loopVar   the loop object inside for

// generator is the single-use iterator that Jinja's select/reject/map/unique/items/reverse
// filters return: always truthy, no len(), empty after the first iteration, not JSON
// serialisable, printed as an object repr.
type generator struct {
	items []any
	used  bool
	err   error // raised when iterated, as a Python generator raises lazily
}

// tuple is a Python tuple: read like a list, but printed with parentheses, never equal to a
// list, and not concatenable with one.
type tuple []any

// asSeq returns the items of a list or tuple.
func asSeq(v any) ([]any, bool) {
	switch x := v.(type) {
	case []any:
		return x, true
	case tuple:
		return x, true
	}
	return nil, false
}

// Undefined is jinja2.Undefined. Its error message is built only when needed (a chat template
// may look up a missing key once per character of a long message).
type Undefined struct {
	Hint  string // fixed message; empty when built from the fields below
	name  string // an undefined variable
	owner string // type name of the object lacking key
	key   any    // missing attribute (string) or element; only hashable values
}

func (u Undefined) message() string {
	switch {
	case u.Hint != "":
		return u.Hint
	case u.owner == "":
		return fmt.Sprintf("'%s' is undefined", u.name)
	}
	if s, ok := u.key.(string); ok {
		return fmt.Sprintf("'%s object' has no attribute '%s'", u.owner, s)
	}
	return fmt.Sprintf("'%s object' has no element %s", u.owner, repr(u.key))
}

// missing builds the Undefined for obj lacking key.
func missing(obj, key any) Undefined {
	if !hashable(key) {
		key = repr(key)
	}
	return Undefined{owner: typeName(obj), key: key}
}

// Dict is an insertion-ordered Python dict. Keys are normalised so that 1, 1.0 and True share a
// slot, as in Python.
type Dict struct {
	keys  []any
	vals  []any
	index map[any]int
}

// NewDict returns an empty dict.
func NewDict() *Dict { return &Dict{index: map[any]int{}} }

func hashKey(k any) any {
	switch v := k.(type) {
	case bool:
		if v {
			return int64(1)
		}
		return int64(0)
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<62 {
			return int64(v)
		}
	}
	return k
}

func hashable(k any) bool {
	switch k.(type) {
	case nil, bool, int64, float64, string:
		return true
	}
	return false
}

// Set inserts or replaces key.
func (d *Dict) Set(key, val any) {
	h := hashKey(key)
	if i, ok := d.index[h]; ok {
		d.vals[i] = val
		return
	}
	d.index[h] = len(d.keys)
	d.keys = append(d.keys, key)
	d.vals = append(d.vals, val)
}

// Get looks key up.
func (d *Dict) Get(key any) (any, bool) {
	if !hashable(key) {
		return nil, false
	}
	i, ok := d.index[hashKey(key)]
	if !ok {
		return nil, false
	}
	return d.vals[i], true
}

// Len is the number of entries.
func (d *Dict) Len() int { return len(d.keys) }

// Keys returns the keys in insertion order.
func (d *Dict) Keys() []any { return append([]any(nil), d.keys...) }

// Namespace is the object returned by namespace(...); it is the one mutable value.
type Namespace struct{ attrs *Dict }

// Func is a callable value.
type Func struct {
	Name string
	Fn   func(args []any, kw *Dict) (any, error)
}

func isUndefined(v any) bool { _, ok := v.(Undefined); return ok }

// truthy is Python bool().
func truthy(v any) bool {
	switch x := v.(type) {
	case nil, Undefined:
		return false
	case bool:
		return x
	case int64:
		return x != 0
	case float64:
		return x != 0
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case tuple:
		return len(x) > 0
	case *Dict:
		return x.Len() > 0
	}
	return true
}

// typeName is Python's type(v).__name__ as used in error messages.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case int64:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []any:
		return "list"
	case tuple:
		return "tuple"
	case *Dict:
		return "dict"
	case *Namespace:
		return "Namespace"
	case *Func:
		return "function"
	case Undefined:
		return "Undefined"
	case *loopVar:
		return "LoopContext"
	case *generator:
		return "generator"
	}
	return fmt.Sprintf("%T", v)
}

// toStr is Python str(v) (Undefined prints as "").
func toStr(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case Undefined:
		return ""
	}
	return repr(v)
}

// repr is Python repr(v).
func repr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int64:
		return strconv.FormatInt(x, 10)
	case *big.Int:
		return x.String()
	case float64:
		return pyjson.FloatRepr(x)
	case string:
		return strRepr(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = repr(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case tuple:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = repr(e)
		}
		if len(x) == 1 {
			return "(" + parts[0] + ",)"
		}
		return "(" + strings.Join(parts, ", ") + ")"
	case *Dict:
		parts := make([]string, len(x.keys))
		for i, k := range x.keys {
			parts[i] = repr(k) + ": " + repr(x.vals[i])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case *Namespace:
		return "<Namespace " + repr(x.attrs) + ">"
	case Undefined:
		return "Undefined"
	case *Func:
		return "<function " + x.Name + ">"
	case *loopVar:
		return "<LoopContext>"
	case *generator:
		return "<generator object>"
	}
	return fmt.Sprint(v)
}

// strRepr is Python's repr(str): single quotes unless the text has ' and no ".
func strRepr(s string) string {
	q := byte('\'')
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == rune(q) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r == utf8.RuneError:
			b.WriteRune(r)
		case !isPrintable(r):
			if r < 0x100 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else if r < 0x10000 {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				fmt.Fprintf(&b, `\U%08x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// isPrintable approximates Python's str.isprintable for repr: separators and other control /
// format characters are escaped.
func isPrintable(r rune) bool {
	if r == ' ' {
		return true
	}
	if r >= 0x80 && r < 0xA0 || r == 0xAD {
		return false
	}
	return strconv.IsPrint(r)
}

// equal is Python ==.
func equal(a, b any) bool {
	if ua, ok := a.(Undefined); ok {
		_ = ua
		return isUndefined(b)
	}
	if isUndefined(b) {
		return false
	}
	if fa, ok := toFloatNum(a); ok {
		if fb, ok := toFloatNum(b); ok {
			ia, aInt := toIntNum(a)
			ib, bInt := toIntNum(b)
			if aInt && bInt {
				return ia == ib
			}
			return fa == fb
		}
		return false
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		return ok && equalSeq(x, y)
	case tuple:
		y, ok := b.(tuple)
		return ok && equalSeq(x, y)
	case *Dict:
		y, ok := b.(*Dict)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for i, k := range x.keys {
			v, ok := y.Get(k)
			if !ok || !equal(x.vals[i], v) {
				return false
			}
		}
		return true
	}
	return a == b
}

func equalSeq(x, y []any) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if !equal(x[i], y[i]) {
			return false
		}
	}
	return true
}

// toIntNum returns v as int64 for bool and int values.
func toIntNum(v any) (int64, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case int64:
		return x, true
	}
	return 0, false
}

// toFloatNum returns v as float64 for bool, int and float values.
func toFloatNum(v any) (float64, bool) {
	switch x := v.(type) {
	case bool, int64:
		i, _ := toIntNum(x)
		return float64(i), true
	case float64:
		return x, true
	}
	return 0, false
}

// compare orders a and b for <, <=, >, >= (numbers, strings, lists), else a TypeError.
func compare(a, b any, op string) (int, error) {
	if ia, ok := toIntNum(a); ok {
		if ib, ok := toIntNum(b); ok {
			return cmp3(ia < ib, ia > ib), nil
		}
	}
	if fa, ok := toFloatNum(a); ok {
		if fb, ok := toFloatNum(b); ok {
			return cmp3(fa < fb, fa > fb), nil
		}
	}
	if sa, ok := a.(string); ok {
		if sb, ok := b.(string); ok {
			return strings.Compare(sa, sb), nil
		}
	}
	la, aSeq := asSeq(a)
	lb, bSeq := asSeq(b)
	if aSeq && bSeq && typeName(a) == typeName(b) { // list < tuple is a TypeError in Python
		for i := 0; i < len(la) && i < len(lb); i++ {
			if !equal(la[i], lb[i]) {
				return compare(la[i], lb[i], op)
			}
		}
		return cmp3(len(la) < len(lb), len(la) > len(lb)), nil
	}
	if isUndefined(a) || isUndefined(b) {
		return 0, undefinedErr(a, b)
	}
	return 0, fmt.Errorf("'%s' not supported between instances of '%s' and '%s'", op, typeName(a), typeName(b))
}

func cmp3(lt, gt bool) int {
	switch {
	case lt:
		return -1
	case gt:
		return 1
	}
	return 0
}

func undefinedErr(vs ...any) error {
	for _, v := range vs {
		if u, ok := v.(Undefined); ok {
			return errors.New(u.message())
		}
	}
	return fmt.Errorf("undefined value")
}

// asciiStrings holds the one-character ASCII strings already boxed, so iterating a long string
// (Llama 3.2's image check loops over every character of string content) does not allocate
// per character.
var asciiStrings = func() (t [0x80]any) {
	for i := range t {
		t[i] = string(rune(i))
	}
	return
}()

// iterate lists the items a for loop visits: list items, dict keys, string code points; an
// Undefined is empty (jinja2.Undefined.__iter__).
func iterate(v any) ([]any, error) {
	switch x := v.(type) {
	case []any:
		return x, nil
	case tuple:
		return x, nil
	case *Dict:
		return x.Keys(), nil
	case string:
		out := make([]any, 0, len(x))
		for _, r := range x {
			if r < 0x80 {
				out = append(out, asciiStrings[r])
			} else {
				out = append(out, string(r))
			}
		}
		return out, nil
	case Undefined:
		return nil, nil
	case *generator:
		if x.err != nil {
			return nil, x.err
		}
		if x.used {
			return nil, nil
		}
		x.used = true
		return x.items, nil
	}
	return nil, fmt.Errorf("'%s' object is not iterable", typeName(v))
}

// length is Python len().
func length(v any) (int, error) {
	switch x := v.(type) {
	case string:
		return utf8.RuneCountInString(x), nil
	case []any:
		return len(x), nil
	case tuple:
		return len(x), nil
	case *Dict:
		return x.Len(), nil
	case Undefined:
		return 0, nil
	}
	return 0, fmt.Errorf("object of type '%s' has no len()", typeName(v))
}
