package jinja

import (
	"fmt"
	"strings"
)

// A test is `value is name` or `value is name(arg)`, as in Jinja2's tests.py.
type jinjaTest struct {
	needsArg bool
	fn       func(v, arg any) (bool, error)
}

func is(fn func(v any) bool) jinjaTest {
	return jinjaTest{fn: func(v, _ any) (bool, error) { return fn(v), nil }}
}

func withArg(fn func(v, arg any) (bool, error)) jinjaTest {
	return jinjaTest{needsArg: true, fn: fn}
}

var (
	testEqual    = withArg(func(v, a any) (bool, error) { return equal(v, a), nil })
	testNotEqual = withArg(func(v, a any) (bool, error) { return !equal(v, a), nil })
)

var tests = map[string]jinjaTest{
	"defined":   is(func(v any) bool { return !isUndefined(v) }),
	"undefined": is(isUndefined),
	"none":      is(func(v any) bool { return v == nil }),
	"string":    is(func(v any) bool { _, ok := v.(string); return ok }),
	"number": is(func(v any) bool {
		switch v.(type) {
		case bool, int64, float64:
			return true
		}
		return false
	}),
	"integer": is(func(v any) bool { _, ok := v.(int64); return ok }),
	"float":   is(func(v any) bool { _, ok := v.(float64); return ok }),
	"boolean": is(func(v any) bool { _, ok := v.(bool); return ok }),
	"true":    is(func(v any) bool { return v == true }),
	"false":   is(func(v any) bool { return v == false }),
	"mapping": is(func(v any) bool { _, ok := v.(*Dict); return ok }),
	"iterable": is(func(v any) bool {
		switch v.(type) {
		case string, []any, tuple, *Dict, Undefined, *generator:
			return true
		}
		return false
	}),
	"sequence": is(func(v any) bool {
		switch v.(type) {
		case string, []any, tuple, *Dict, Undefined:
			return true
		}
		return false
	}),
	"callable": is(func(v any) bool {
		switch v.(type) {
		case *Func, Undefined: // jinja2.Undefined defines __call__ (it raises when called)
			return true
		}
		return false
	}),
	"lower": is(func(v any) bool {
		s := toStr(v)
		return s == strings.ToLower(s) && strings.ToUpper(s) != s
	}),
	"upper": is(func(v any) bool {
		s := toStr(v)
		return s == strings.ToUpper(s) && strings.ToLower(s) != s
	}),
	"even":        remainderIs(int64(2), int64(0)),
	"odd":         remainderIs(int64(2), int64(1)),
	"divisibleby": withArg(func(v, a any) (bool, error) { return remainderIs(a, int64(0)).fn(v, nil) }),
	"in":          withArg(func(v, a any) (bool, error) { return contains(a, v) }),
	"equalto":     testEqual,
	"eq":          testEqual,
	"==":          testEqual,
	"sameas":      testEqual,
	"ne":          testNotEqual,
	"!=":          testNotEqual,
	"lt":          compareTest("<"),
	"lessthan":    compareTest("<"),
	"<":           compareTest("<"),
	"gt":          compareTest(">"),
	"greaterthan": compareTest(">"),
	">":           compareTest(">"),
	"le":          compareTest("<="),
	"<=":          compareTest("<="),
	"ge":          compareTest(">="),
	">=":          compareTest(">="),
}

func compareTest(op string) jinjaTest {
	return withArg(func(v, a any) (bool, error) { return compareOp(op, v, a) })
}

// remainderIs tests v % div == rem with Python's % (so floats and bools work).
func remainderIs(div, rem any) jinjaTest {
	return jinjaTest{fn: func(v, _ any) (bool, error) {
		m, err := arith("%", v, div)
		if err != nil {
			return false, err
		}
		return equal(m, rem), nil
	}}
}

func callTest(name string, v any, args []any) (bool, error) {
	t, ok := tests[name]
	if !ok {
		return false, fmt.Errorf("no test named '%s'", name)
	}
	var arg any
	if t.needsArg {
		if len(args) == 0 {
			return false, fmt.Errorf("test '%s' needs an argument", name)
		}
		arg = args[0]
	}
	return t.fn(v, arg)
}
