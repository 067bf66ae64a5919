package jinja

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strings"
	"unicode/utf8"
)

// Python's operators on template values: comparison, membership,
// arithmetic, repetition, slicing, item and attribute access.

func compareOp(op string, l, r any) (bool, error) {
	switch op {
	case "==":
		return equal(l, r), nil
	case "!=":
		return !equal(l, r), nil
	case "in":
		return contains(r, l)
	case "notin":
		ok, err := contains(r, l)
		return !ok, err
	}
	c, err := compare(l, r, op)
	if err != nil {
		return false, err
	}
	switch op {
	case "<":
		return c < 0, nil
	case ">":
		return c > 0, nil
	case "<=":
		return c <= 0, nil
	case ">=":
		return c >= 0, nil
	}
	return false, fmt.Errorf("unknown operator %s", op)
}

// contains is Python's `item in container`.
func contains(container, item any) (bool, error) {
	switch c := container.(type) {
	case string:
		s, ok := item.(string)
		if !ok {
			if isUndefined(item) {
				return false, undefinedErr(item)
			}
			return false, fmt.Errorf("'in <string>' requires string as left operand, not %s", typeName(item))
		}
		return strings.Contains(c, s), nil
	case []any, tuple:
		items, _ := asSeq(c)
		for _, e := range items {
			if equal(e, item) {
				return true, nil
			}
		}
		return false, nil
	case *Dict:
		if !hashable(item) && !isUndefined(item) {
			return false, fmt.Errorf("unhashable type: '%s'", typeName(item))
		}
		_, ok := c.Get(item)
		return ok, nil
	case *generator:
		items, err := iterate(c)
		if err != nil {
			return false, err
		}
		for _, e := range items {
			if equal(e, item) {
				return true, nil
			}
		}
		return false, nil
	case *Namespace:
		_, ok := c.attrs.Get(item)
		return ok, nil
	case Undefined:
		return false, nil
	}
	return false, fmt.Errorf("argument of type '%s' is not iterable", typeName(container))
}

func arith(op string, l, r any) (any, error) {
	if ls, ok := l.(string); ok && op == "%" {
		return pyPercent(ls, r) // str.__mod__ accepts any right operand, even Undefined
	}
	if isUndefined(l) || isUndefined(r) {
		return nil, undefinedErr(l, r)
	}
	li, lInt := toIntNum(l)
	ri, rInt := toIntNum(r)
	lf, lNum := toFloatNum(l)
	rf, rNum := toFloatNum(r)
	if lInt && rInt {
		switch op {
		case "+":
			return li + ri, nil
		case "-":
			return li - ri, nil
		case "*":
			return li * ri, nil
		case "/":
			if ri == 0 {
				return nil, errors.New("division by zero")
			}
			return float64(li) / float64(ri), nil
		case "//":
			if ri == 0 {
				return nil, errors.New("integer division or modulo by zero")
			}
			q := li / ri
			if (li%ri != 0) && ((li < 0) != (ri < 0)) {
				q--
			}
			return q, nil
		case "%":
			if ri == 0 {
				return nil, errors.New("integer division or modulo by zero")
			}
			m := li % ri
			if m != 0 && ((m < 0) != (ri < 0)) {
				m += ri
			}
			return m, nil
		case "**":
			if ri >= 0 {
				return intPow(li, ri)
			}
			if li == 0 {
				return nil, errors.New("0.0 cannot be raised to a negative power")
			}
			return math.Pow(float64(li), float64(ri)), nil
		}
	}
	if lNum && rNum {
		switch op {
		case "+":
			return lf + rf, nil
		case "-":
			return lf - rf, nil
		case "*":
			return lf * rf, nil
		case "/":
			if rf == 0 {
				return nil, errors.New("float division by zero")
			}
			return lf / rf, nil
		case "//":
			if rf == 0 {
				return nil, errors.New("float floor division by zero")
			}
			return math.Floor(lf / rf), nil
		case "%":
			if rf == 0 {
				return nil, errors.New("float modulo")
			}
			m := math.Mod(lf, rf)
			if m != 0 && ((m < 0) != (rf < 0)) {
				m += rf
			}
			return m, nil
		case "**":
			if lf == 0 && rf < 0 {
				return nil, errors.New("0.0 cannot be raised to a negative power")
			}
			if lf < 0 && rf != math.Trunc(rf) {
				return nil, errors.New("negative number to a fractional power gives a complex number (not supported)")
			}
			return math.Pow(lf, rf), nil
		}
	}
	switch op {
	case "+":
		if ls, ok := l.(string); ok {
			if rs, ok := r.(string); ok {
				return ls + rs, nil
			}
		}
		if ll, ok := l.([]any); ok {
			if rl, ok := r.([]any); ok {
				return append(append([]any{}, ll...), rl...), nil
			}
		}
		if lt, ok := l.(tuple); ok {
			if rt, ok := r.(tuple); ok {
				return tuple(append(append([]any{}, lt...), rt...)), nil
			}
		}
		if _, ok := asSeq(l); ok {
			return nil, fmt.Errorf("can only concatenate %s (not \"%s\") to %s", typeName(l), typeName(r), typeName(l))
		}
	case "*":
		if s, ok := l.(string); ok && rInt {
			return repeatString(s, ri)
		}
		if s, ok := r.(string); ok && lInt {
			return repeatString(s, li)
		}
		if ls, ok := asSeq(l); ok && rInt {
			return repeatSeq(l, ls, ri)
		}
		if rs, ok := asSeq(r); ok && lInt {
			return repeatSeq(r, rs, li)
		}
	}
	return nil, fmt.Errorf("unsupported operand type(s) for %s: '%s' and '%s'", op, typeName(l), typeName(r))
}

// intPow is exact integer exponentiation by squaring; results beyond int64 are an error (Python
// would switch to big integers).
func intPow(base, exp int64) (any, error) {
	res, b := int64(1), base
	tooBig := errors.New("integer result of ** exceeds 64 bits (not supported)")
	for exp > 0 {
		if exp&1 == 1 {
			hi, lo := bits.Mul64(uint64(absInt64(res)), uint64(absInt64(b)))
			if hi != 0 || lo > math.MaxInt64 {
				return nil, tooBig
			}
			neg := (res < 0) != (b < 0)
			res = int64(lo)
			if neg {
				res = -res
			}
		}
		exp >>= 1
		if exp > 0 {
			hi, lo := bits.Mul64(uint64(absInt64(b)), uint64(absInt64(b)))
			if hi != 0 || lo > math.MaxInt64 {
				return nil, tooBig
			}
			b = int64(lo)
		}
	}
	return res, nil
}

func absInt64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func repeatString(s string, n int64) (any, error) {
	if n <= 0 || s == "" {
		return "", nil
	}
	if n > maxRepeatLen/int64(len(s)) {
		return nil, fmt.Errorf("string repetition longer than %d bytes", maxRepeatLen)
	}
	return strings.Repeat(s, int(n)), nil
}

// repeatSeq is seq * n for a list or tuple, keeping the type.
func repeatSeq(orig any, items []any, n int64) (any, error) {
	out, err := repeatList(items, n)
	if _, isTuple := orig.(tuple); isTuple && err == nil {
		return tuple(out.([]any)), nil
	}
	return out, err
}

func repeatList(l []any, n int64) (any, error) {
	if n <= 0 || len(l) == 0 {
		return []any{}, nil
	}
	if n > maxRepeatLen/int64(len(l)) {
		return nil, fmt.Errorf("list repetition longer than %d items", maxRepeatLen)
	}
	out := make([]any, 0, int(n)*len(l))
	for i := int64(0); i < n; i++ {
		out = append(out, l...)
	}
	return out, nil
}

func slice(obj any, start, stop, step *int64) (any, error) {
	var n int
	var runes []rune
	switch x := obj.(type) {
	case []any:
		n = len(x)
	case tuple:
		n = len(x)
	case string:
		runes = []rune(x)
		n = len(runes)
	case Undefined:
		return nil, undefinedErr(x)
	case *Dict:
		return nil, errors.New("unhashable type: 'slice'")
	default:
		// Jinja compiles a slice to a plain Python subscript (no environment.getitem), so a
		// non-sequence raises instead of giving Undefined.
		return nil, fmt.Errorf("'%s' object is not subscriptable", typeName(obj))
	}
	st := int64(1)
	if step != nil {
		st = *step
	}
	if st == 0 {
		return nil, errors.New("slice step cannot be zero")
	}
	norm := func(p *int64, def int64, lo, hi int64) int64 {
		if p == nil {
			return def
		}
		v := *p
		if v < 0 {
			v += int64(n)
		}
		return min(max(v, lo), hi)
	}
	var idx []int
	if st > 0 {
		a, b := norm(start, 0, 0, int64(n)), norm(stop, int64(n), 0, int64(n))
		for i := a; i < b; i += st {
			idx = append(idx, int(i))
		}
	} else {
		a, b := norm(start, int64(n)-1, -1, int64(n)-1), norm(stop, -1, -1, int64(n)-1)
		if stop != nil && *stop < 0 && *stop+int64(n) < 0 {
			b = -1
		}
		for i := a; i > b; i += st {
			idx = append(idx, int(i))
		}
	}
	if runes != nil || obj == "" {
		out := make([]rune, len(idx))
		for i, k := range idx {
			out[i] = runes[k]
		}
		return string(out), nil
	}
	l, _ := asSeq(obj)
	out := make([]any, len(idx))
	for i, k := range idx {
		out[i] = l[k]
	}
	if _, ok := obj.(tuple); ok {
		return tuple(out), nil
	}
	return out, nil
}

// getItem is jinja2 Environment.getitem: obj[key], falling back to attribute lookup for string
// keys, and Undefined when both fail.
func getItem(obj, key any) (any, error) {
	switch x := obj.(type) {
	case Undefined:
		return nil, errors.New(x.message())
	case *Dict:
		if v, ok := x.Get(key); ok {
			return v, nil
		}
	case []any, tuple:
		items, _ := asSeq(x)
		if i, ok := toIntNum(key); ok {
			if i < 0 {
				i += int64(len(items))
			}
			if i >= 0 && i < int64(len(items)) {
				return items[i], nil
			}
		}
	case string:
		if i, ok := toIntNum(key); ok {
			n := int64(utf8.RuneCountInString(x))
			if i < 0 {
				i += n
			}
			if i >= 0 && i < n {
				return string([]rune(x)[i]), nil
			}
		}
	case *Namespace:
		if v, ok := x.attrs.Get(key); ok {
			return v, nil
		}
	case *loopVar:
		if s, ok := key.(string); ok {
			if v, ok := x.attr(s); ok {
				return v, nil
			}
		}
	}
	if s, ok := key.(string); ok {
		if v, ok := method(obj, s); ok {
			return v, nil
		}
	}
	return missing(obj, key), nil
}

// getAttr is jinja2 Environment.getattr: Python attribute first (methods), then obj[attr].
func getAttr(obj any, attr string) (any, error) {
	switch x := obj.(type) {
	case Undefined:
		return nil, errors.New(x.message())
	case *Namespace:
		if v, ok := x.attrs.Get(attr); ok {
			return v, nil
		}
	case *loopVar:
		if v, ok := x.attr(attr); ok {
			return v, nil
		}
	}
	if v, ok := method(obj, attr); ok {
		return v, nil
	}
	switch x := obj.(type) {
	case *Dict:
		if v, ok := x.Get(attr); ok {
			return v, nil
		}
	}
	return missing(obj, attr), nil
}
