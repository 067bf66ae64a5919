package jinja

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
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
