package jinja

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strings"
	"unicode/utf8"
)

// TemplateError is raised by raise_exception() in a template (jinja2.exceptions.TemplateError).
type TemplateError struct{ Msg string }

func (e *TemplateError) Error() string { return e.Msg }

var (
	errBreak    = errors.New("break outside loop")
	errContinue = errors.New("continue outside loop")
)

// isValue reports whether v is already a template value.
func isValue(v any) bool {
	switch v.(type) {
	case nil, bool, int64, float64, string, []any, tuple, *Dict, *Namespace, *Func, Undefined, *big.Int, *generator, *loopVar:
		return true
	}
	return false
}

// frame is one variable scope. for-loop bodies and macro calls get a new frame, if-blocks do not
// (as in Jinja2, where `set` inside a loop does not leak out of it).
//
// Variables live in small parallel slices: frames hold a handful of names, and a for loop makes
// one frame per iteration, where a map allocation would dominate.
type frame struct {
	names  []string
	vals   []any
	parent *frame
}

func newFrame(parent *frame) *frame { return &frame{parent: parent} }

func (f *frame) lookup(name string) (any, bool) {
	for ; f != nil; f = f.parent {
		for i := len(f.names) - 1; i >= 0; i-- {
			if f.names[i] == name {
				return f.vals[i], true
			}
		}
	}
	return nil, false
}

// set binds name in this frame.
func (f *frame) set(name string, v any) {
	for i, n := range f.names {
		if n == name {
			f.vals[i] = v
			return
		}
	}
	f.names = append(f.names, name)
	f.vals = append(f.vals, v)
}

type renderer struct {
	out   strings.Builder
	depth int
	steps int // loop iterations so far, bounded by maxSteps
}

// Limits for untrusted templates (chat templates ship with model repositories): loop
// iterations per render, output size, and the size of one repeated string or list.
const (
	maxOutput    = 64 << 20
	maxRepeatLen = 16 << 20
)

// maxSteps bounds loop iterations per render. Generous: Llama 3.2's template visits every
// character of string content once. A variable so tests can lower it.
var maxSteps = 200_000_000

// maxDepth bounds macro recursion so a hostile template cannot exhaust the stack.
const maxDepth = 200

// Render executes the template with vars as the global context. Values should be template
// values (FromJSON / FromGo results, *Func); other Go values are converted with FromGo.
func (t *Template) Render(vars map[string]any) (string, error) {

	globals := newFrame(nil)
	for k, v := range builtinGlobals() {
		globals.set(k, v)
	}
	top := newFrame(globals)
	for k, v := range vars {
		if !isValue(v) {
			c, err := FromGo(v)
			if err != nil {
				return "", fmt.Errorf("variable %s: %w", k, err)
			}
			v = c
		}
		top.set(k, v)
	}
	r := &renderer{}
	if err := r.exec(t.body, top); err != nil {
		return "", err // includes errBreak/errContinue outside a loop
	}
	return r.out.String(), nil
}

func (r *renderer) exec(body []node, f *frame) error {
	for _, n := range body {
		if err := r.execNode(n, f); err != nil {
			return err
		}
	}
	return nil
}

func (r *renderer) execNode(n node, f *frame) error {
	switch n := n.(type) {
	case *textNode:
		r.out.WriteString(n.text)
	case *outputNode:
		v, err := r.eval(n.expr, f)
		if err != nil {
			return err
		}
		r.out.WriteString(toStr(v))
	case *ifNode:
		for i, c := range n.conds {
			v, err := r.eval(c, f)
			if err != nil {
				return err
			}
			if truthy(v) {
				return r.exec(n.bodies[i], f)
			}
		}
		return r.exec(n.els, f)
	case *forNode:
		return r.execFor(n, f)
	case *setNode:
		return r.execSet(n, f)
	case *macroNode:
		f.set(n.name, r.makeMacro(n, f))
	case *callBlockNode:
		caller := r.makeMacro(&macroNode{name: "caller", body: n.body}, f)
		v, err := r.evalCall(n.call, f, caller)
		if err != nil {
			return err
		}
		r.out.WriteString(toStr(v))
	case *breakNode:
		return errBreak
	case *continueNode:
		return errContinue
	case *blockNode:
		return r.exec(n.body, f)
	case *filterBlock:
		s, err := r.capture(n.body, f)
		if err != nil {
			return err
		}
		v, err := r.applyFilters(s, n.filters, f)
		if err != nil {
			return err
		}
		r.out.WriteString(toStr(v))
	default:
		return fmt.Errorf("unknown node %T", n)
	}
	return nil
}

// capture renders body into a string instead of the output.
func (r *renderer) capture(body []node, f *frame) (string, error) {
	saved := r.out
	r.out = strings.Builder{}
	err := r.exec(body, f)
	s := r.out.String()
	r.out = saved
	return s, err
}

func (r *renderer) applyFilters(v any, fs []*filterExpr, f *frame) (any, error) {
	for _, fe := range fs {
		args, kw, err := r.evalArgs(fe.args, fe.kwKeys, fe.kwVals, f)
		if err != nil {
			return nil, err
		}
		if v, err = callFilter(fe.name, v, args, kw); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// loopVar is the `loop` object.
type loopVar struct {
	index0, length int
	items          []any
}

func (l *loopVar) attr(name string) (any, bool) {
	i := int64(l.index0)
	n := int64(l.length)
	switch name {
	case "index":
		return i + 1, true
	case "index0":
		return i, true
	case "revindex":
		return n - i, true
	case "revindex0":
		return n - i - 1, true
	case "first":
		return i == 0, true
	case "last":
		return i == n-1, true
	case "length":
		return n, true
	case "depth":
		return int64(1), true
	case "depth0":
		return int64(0), true
	case "previtem":
		if i > 0 {
			return l.items[i-1], true
		}
		return Undefined{Hint: "there is no previous item"}, true
	case "nextitem":
		if i+1 < n {
			return l.items[i+1], true
		}
		return Undefined{Hint: "there is no next item"}, true
	case "cycle":
		return &Func{"cycle", func(args []any, kw *Dict) (any, error) {
			if len(args) == 0 {
				return nil, errors.New("no items for cycling given")
			}
			return args[l.index0%len(args)], nil
		}}, true
	}
	return nil, false
}

func (r *renderer) execFor(n *forNode, f *frame) error {
	it, err := r.eval(n.iter, f)
	if err != nil {
		return err
	}
	items, err := iterate(it)
	if err != nil {
		return err
	}
	inner := newFrame(f)
	if n.filter != nil {
		var kept []any
		for _, item := range items {
			if err := bindTargets(inner, n.targets, item); err != nil {
				return err
			}
			ok, err := r.eval(n.filter, inner)
			if err != nil {
				return err
			}
			if truthy(ok) {
				kept = append(kept, item)
			}
		}
		items = kept
	}
	if len(items) == 0 {
		return r.exec(n.els, f)
	}
	lv := &loopVar{length: len(items), items: items}
	for i, item := range items {
		if r.steps++; r.steps > maxSteps {
			return fmt.Errorf("template runs more than %d loop iterations", maxSteps)
		}
		if r.out.Len() > maxOutput {
			return fmt.Errorf("template output exceeds %d bytes", maxOutput)
		}
		inner := &frame{names: make([]string, 0, 4), vals: make([]any, 0, 4), parent: f}
		lv.index0 = i
		inner.set("loop", lv)
		if err := bindTargets(inner, n.targets, item); err != nil {
			return err
		}
		err := r.exec(n.body, inner)
		if err == errBreak {
			break
		}
		if err != nil && err != errContinue {
			return err
		}
	}
	return nil
}

func bindTargets(f *frame, names []string, v any) error {
	if len(names) == 1 {
		f.set(names[0], v)
		return nil
	}
	items, err := iterate(v)
	if err != nil {
		return fmt.Errorf("cannot unpack %s", typeName(v))
	}
	if len(items) != len(names) {
		if len(items) < len(names) {
			return fmt.Errorf("not enough values to unpack (expected %d, got %d)", len(names), len(items))
		}
		return fmt.Errorf("too many values to unpack (expected %d)", len(names))
	}
	for i, n := range names {
		f.set(n, items[i])
	}
	return nil
}

func (r *renderer) execSet(n *setNode, f *frame) error {
	var v any
	var err error
	if n.value != nil {
		v, err = r.eval(n.value, f)
	} else {
		var s string
		s, err = r.capture(n.body, f)
		v = s
		if err == nil && len(n.filters) > 0 {
			v, err = r.applyFilters(s, n.filters, f)
		}
	}
	if err != nil {
		return err
	}
	if n.attr != "" {
		obj, _ := f.lookup(n.targets[0])
		ns, ok := obj.(*Namespace)
		if !ok {
			return fmt.Errorf("cannot assign attribute on non-namespace object %s", n.targets[0])
		}
		ns.attrs.Set(n.attr, v)
		return nil
	}
	return bindTargets(f, n.targets, v)
}

// makeMacro turns a macro definition into a callable; it renders its body with the parameters
// bound, reading other names from the defining scope.
func (r *renderer) makeMacro(m *macroNode, def *frame) *Func {
	return &Func{Name: m.name, Fn: func(args []any, kw *Dict) (any, error) {
		if r.depth >= maxDepth {
			return nil, errors.New("macro recursion too deep")
		}
		r.depth++
		defer func() { r.depth-- }()
		f := newFrame(def)
		nd := len(m.params) - len(m.defaults)
		var extra []any
		for i, a := range args {
			if i < len(m.params) {
				f.set(m.params[i], a)
			} else {
				extra = append(extra, a)
			}
		}
		for i := len(args); i < len(m.params); i++ {
			name := m.params[i]
			if kw != nil {
				if v, ok := kw.Get(name); ok {
					f.set(name, v)
					continue
				}
			}
			if i >= nd {
				v, err := r.eval(m.defaults[i-nd], f)
				if err != nil {
					return nil, err
				}
				f.set(name, v)
			} else {
				f.set(name, Undefined{name: name})
			}
		}
		if extra == nil {
			extra = []any{}
		}
		f.set("varargs", extra)
		if kw != nil {
			if c, ok := kw.Get("caller"); ok {
				f.set("caller", c)
			}
		}
		return r.capture(m.body, f)
	}}
}

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
