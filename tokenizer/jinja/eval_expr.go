package jinja

import (
	"errors"
	"fmt"
	"strings"
)

// Expression evaluation; the operators themselves are in ops.go.

func (r *renderer) evalArgs(args []expr, kwKeys []string, kwVals []expr, f *frame) ([]any, *Dict, error) {
	vals := make([]any, len(args))
	for i, a := range args {
		v, err := r.eval(a, f)
		if err != nil {
			return nil, nil, err
		}
		vals[i] = v
	}
	var kw *Dict
	if len(kwKeys) > 0 {
		kw = NewDict()
		for i, k := range kwKeys {
			v, err := r.eval(kwVals[i], f)
			if err != nil {
				return nil, nil, err
			}
			kw.Set(k, v)
		}
	}
	return vals, kw, nil
}

func (r *renderer) evalCall(c *callExpr, f *frame, caller any) (any, error) {
	fn, err := r.eval(c.fn, f)
	if err != nil {
		return nil, err
	}
	args, kw, err := r.evalArgs(c.args, c.kwKeys, c.kwVals, f)
	if err != nil {
		return nil, err
	}
	if caller != nil {
		if kw == nil {
			kw = NewDict()
		}
		kw.Set("caller", caller)
	}
	switch x := fn.(type) {
	case *Func:
		return x.Fn(args, kw)
	case Undefined:
		return nil, errors.New(x.message())
	}
	return nil, fmt.Errorf("'%s' object is not callable", typeName(fn))
}

func (r *renderer) eval(e expr, f *frame) (any, error) {
	switch e := e.(type) {
	case *constExpr:
		return e.val, nil
	case *nameExpr:
		if v, ok := f.lookup(e.name); ok {
			return v, nil
		}
		return Undefined{name: e.name}, nil
	case *listExpr:
		out := make([]any, len(e.items))
		for i, it := range e.items {
			v, err := r.eval(it, f)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		if e.isTuple {
			return tuple(out), nil
		}
		return out, nil
	case *dictExpr:
		d := NewDict()
		for i := range e.keys {
			k, err := r.eval(e.keys[i], f)
			if err != nil {
				return nil, err
			}
			if !hashable(k) {
				return nil, fmt.Errorf("unhashable type: '%s'", typeName(k))
			}
			v, err := r.eval(e.vals[i], f)
			if err != nil {
				return nil, err
			}
			d.Set(k, v)
		}
		return d, nil
	case *getattrExpr:
		obj, err := r.eval(e.obj, f)
		if err != nil {
			return nil, err
		}
		return getAttr(obj, e.attr)
	case *getitemExpr:
		obj, err := r.eval(e.obj, f)
		if err != nil {
			return nil, err
		}
		key, err := r.eval(e.key, f)
		if err != nil {
			return nil, err
		}
		return getItem(obj, key)
	case *sliceExpr:
		return r.evalSlice(e, f)
	case *callExpr:
		return r.evalCall(e, f, nil)
	case *filterExpr:
		v, err := r.eval(e.arg, f)
		if err != nil {
			return nil, err
		}
		args, kw, err := r.evalArgs(e.args, e.kwKeys, e.kwVals, f)
		if err != nil {
			return nil, err
		}
		return callFilter(e.name, v, args, kw)
	case *testExpr:
		v, err := r.eval(e.arg, f)
		if err != nil {
			return nil, err
		}
		args, _, err := r.evalArgs(e.args, nil, nil, f)
		if err != nil {
			return nil, err
		}
		ok, err := callTest(e.name, v, args)
		if err != nil {
			return nil, err
		}
		return ok != e.negate, nil
	case *unaryExpr:
		x, err := r.eval(e.x, f)
		if err != nil {
			return nil, err
		}
		switch e.op {
		case "not":
			return !truthy(x), nil
		case "-":
			switch v := x.(type) {
			case bool, int64:
				i, _ := toIntNum(v)
				return -i, nil
			case float64:
				return -v, nil
			}
			if isUndefined(x) {
				return nil, undefinedErr(x)
			}
			return nil, fmt.Errorf("bad operand type for unary -: '%s'", typeName(x))
		case "+":
			switch v := x.(type) {
			case bool:
				i, _ := toIntNum(v)
				return i, nil
			case int64, float64:
				return v, nil
			}
			if isUndefined(x) {
				return nil, undefinedErr(x)
			}
			return nil, fmt.Errorf("bad operand type for unary +: '%s'", typeName(x))
		}
	case *binExpr:
		l, err := r.eval(e.l, f)
		if err != nil {
			return nil, err
		}
		switch e.op {
		case "and":
			if !truthy(l) {
				return l, nil
			}
			return r.eval(e.r, f)
		case "or":
			if truthy(l) {
				return l, nil
			}
			return r.eval(e.r, f)
		}
		rv, err := r.eval(e.r, f)
		if err != nil {
			return nil, err
		}
		return arith(e.op, l, rv)
	case *concatExpr:
		var b strings.Builder
		for _, p := range e.parts {
			v, err := r.eval(p, f)
			if err != nil {
				return nil, err
			}
			b.WriteString(toStr(v))
		}
		return b.String(), nil
	case *compareExpr:
		l, err := r.eval(e.first, f)
		if err != nil {
			return nil, err
		}
		for i, op := range e.ops {
			rv, err := r.eval(e.rest[i], f)
			if err != nil {
				return nil, err
			}
			ok, err := compareOp(op, l, rv)
			if err != nil {
				return nil, err
			}
			if !ok {
				return false, nil
			}
			l = rv
		}
		return true, nil
	case *condExpr:
		c, err := r.eval(e.cond, f)
		if err != nil {
			return nil, err
		}
		if truthy(c) {
			return r.eval(e.yes, f)
		}
		if e.no == nil {
			return Undefined{Hint: "the inline if-expression on false"}, nil
		}
		return r.eval(e.no, f)
	}
	return nil, fmt.Errorf("cannot evaluate %T", e)
}

func (r *renderer) evalSlice(e *sliceExpr, f *frame) (any, error) {
	obj, err := r.eval(e.obj, f)
	if err != nil {
		return nil, err
	}
	var bounds [3]*int64
	for i, x := range []expr{e.start, e.stop, e.step} {
		if x == nil {
			continue
		}
		v, err := r.eval(x, f)
		if err != nil {
			return nil, err
		}
		if v == nil {
			continue
		}
		iv, ok := toIntNum(v)
		if !ok {
			return nil, errors.New("slice indices must be integers or None")
		}
		bounds[i] = &iv
	}
	return slice(obj, bounds[0], bounds[1], bounds[2])
}

// slice is Python seq[start:stop:step] for lists and strings.
