package jinja

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ct2go/ct2go/internal/pyjson"
)

// Globals that Jinja2 defines by default (range, dict, namespace); callers add
// raise_exception / strftime_now.
func builtinGlobals() map[string]any {
	return map[string]any{
		"range": &Func{"range", func(args []any, _ *Dict) (any, error) {
			var nums []int64
			for _, a := range args {
				i, ok := toIntNum(a)
				if !ok {
					return nil, fmt.Errorf("'%s' object cannot be interpreted as an integer", typeName(a))
				}
				nums = append(nums, i)
			}
			start, stop, step := int64(0), int64(0), int64(1)
			switch len(nums) {
			case 1:
				stop = nums[0]
			case 2:
				start, stop = nums[0], nums[1]
			case 3:
				start, stop, step = nums[0], nums[1], nums[2]
			default:
				return nil, errors.New("range expected 1 to 3 arguments")
			}
			if step == 0 {
				return nil, errors.New("range() arg 3 must not be zero")
			}
			var out []any
			for i := start; (step > 0 && i < stop) || (step < 0 && i > stop); i += step {
				if len(out) >= 100000 { // Jinja's sandbox MAX_RANGE
					return nil, errors.New("range too big")
				}
				out = append(out, i)
			}
			if out == nil {
				out = []any{}
			}
			return out, nil
		}},
		"dict": &Func{"dict", func(args []any, kw *Dict) (any, error) {
			d := NewDict()
			if len(args) == 1 {
				if src, ok := args[0].(*Dict); ok {
					for i, k := range src.keys {
						d.Set(k, src.vals[i])
					}
				}
			}
			if kw != nil {
				for i, k := range kw.keys {
					d.Set(k, kw.vals[i])
				}
			}
			return d, nil
		}},
		"namespace": &Func{"namespace", func(args []any, kw *Dict) (any, error) {
			ns := &Namespace{attrs: NewDict()}
			if len(args) == 1 {
				if src, ok := args[0].(*Dict); ok {
					for i, k := range src.keys {
						ns.attrs.Set(k, src.vals[i])
					}
				}
			}
			if kw != nil {
				for i, k := range kw.keys {
					ns.attrs.Set(k, kw.vals[i])
				}
			}
			return ns, nil
		}},
	}
}

// argOr returns positional argument i, else keyword name, else def.
func argOr(args []any, kw *Dict, i int, name string, def any) any {
	if i >= 0 && i < len(args) {
		return args[i]
	}
	if kw != nil {
		if v, ok := kw.Get(name); ok {
			return v
		}
	}
	return def
}

func callFilter(name string, v any, args []any, kw *Dict) (any, error) {
	switch name {
	case "trim":
		chars := argOr(args, kw, 0, "chars", nil)
		if chars == nil {
			return strings.TrimFunc(toStr(v), pyIsSpace), nil
		}
		return strings.Trim(toStr(v), toStr(chars)), nil
	case "length", "count":
		n, err := length(v)
		return int64(n), err
	case "tojson":
		o := pyjson.Options{ItemSep: ", ", KeySep: ": "}
		if ind := argOr(args, kw, -1, "indent", nil); ind != nil {
			switch x := ind.(type) {
			case string:
				o.Indent = &x
			default:
				n, ok := toIntNum(x)
				if !ok {
					return nil, fmt.Errorf("tojson: indent must be an int or str")
				}
				s := strings.Repeat(" ", int(max(n, 0)))
				o.Indent = &s
			}
			o.ItemSep = ","
		}
		if sep := argOr(args, kw, -1, "separators", nil); sep != nil {
			l, ok := asSeq(sep)
			if !ok || len(l) != 2 {
				return nil, errors.New("tojson: separators must be a pair of strings")
			}
			o.ItemSep, o.KeySep = toStr(l[0]), toStr(l[1])
		}
		o.SortKeys = truthy(argOr(args, kw, -1, "sort_keys", false))
		o.EnsureASCII = truthy(argOr(args, kw, -1, "ensure_ascii", false))
		return pyDumps(v, o)
	case "join":
		sep := toStr(argOr(args, kw, 0, "d", ""))
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		attr := argOr(args, kw, 1, "attribute", nil)
		parts := make([]string, len(items))
		for i, it := range items {
			if attr != nil {
				if it, err = getItem(it, attr); err != nil {
					return nil, err
				}
			}
			parts[i] = toStr(it)
		}
		return strings.Join(parts, sep), nil
	case "items":
		switch x := v.(type) {
		case Undefined:
			return &generator{items: []any{}}, nil
		case *Dict:
			out := make([]any, x.Len())
			for i, k := range x.keys {
				out[i] = tuple{k, x.vals[i]}
			}
			return &generator{items: out}, nil
		}
		return &generator{err: fmt.Errorf("can only get item pairs from a mapping, not %s", typeName(v))}, nil
	case "list":
		items, err := iterate(v)
		return append([]any{}, items...), err
	case "first", "last":
		if _, isGen := v.(*generator); isGen && name == "last" {
			return nil, errors.New("'generator' object is not reversible")
		}
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return Undefined{Hint: "No first item, sequence was empty."}, nil
		}
		if name == "first" {
			return items[0], nil
		}
		return items[len(items)-1], nil
	case "lower":
		return strings.ToLower(toStr(v)), nil
	case "upper":
		return strings.ToUpper(toStr(v)), nil
	case "capitalize":
		return pyCapitalize(toStr(v)), nil
	case "title":
		return jinjaTitle(toStr(v)), nil
	case "replace":
		if len(args) < 2 {
			return nil, errors.New("replace needs old and new")
		}
		n := -1
		if c := argOr(args, kw, 2, "count", nil); c != nil {
			i, _ := toIntNum(c)
			n = int(i)
		}
		return strings.Replace(toStr(v), toStr(args[0]), toStr(args[1]), n), nil
	case "default", "d":
		def := argOr(args, kw, 0, "default_value", "")
		boolean := truthy(argOr(args, kw, 1, "boolean", false))
		if isUndefined(v) || (boolean && !truthy(v)) {
			return def, nil
		}
		return v, nil
	case "string":
		return toStr(v), nil
	case "safe", "e", "escape":
		if name == "safe" {
			return v, nil
		}
		r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;")
		return r.Replace(toStr(v)), nil
	case "int":
		if isUndefined(v) { // int(Undefined) raises UndefinedError, which do_int does not catch
			return nil, undefinedErr(v)
		}
		def := argOr(args, kw, 0, "default", int64(0))
		switch x := v.(type) {
		case bool, int64:
			i, _ := toIntNum(x)
			return i, nil
		case float64:
			return int64(x), nil
		case string:
			s := strings.TrimFunc(x, pyIsSpace)
			if i, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64); err == nil {
				return i, nil
			}
			if f, err := strconv.ParseFloat(s, 64); err == nil {
				return int64(f), nil
			}
		}
		return def, nil
	case "float":
		if isUndefined(v) {
			return nil, undefinedErr(v)
		}
		def := argOr(args, kw, 0, "default", 0.0)
		switch x := v.(type) {
		case bool, int64, float64:
			f, _ := toFloatNum(x)
			return f, nil
		case string:
			if f, err := strconv.ParseFloat(strings.TrimFunc(x, pyIsSpace), 64); err == nil {
				return f, nil
			}
		}
		return def, nil
	case "abs":
		switch x := v.(type) {
		case bool, int64:
			i, _ := toIntNum(x)
			if i < 0 {
				i = -i
			}
			return i, nil
		case float64:
			return math.Abs(x), nil
		}
		return nil, fmt.Errorf("bad operand type for abs(): '%s'", typeName(v))
	case "round":
		f, ok := toFloatNum(v)
		if !ok {
			return nil, fmt.Errorf("round: not a number")
		}
		prec, _ := toIntNum(argOr(args, kw, 0, "precision", int64(0)))
		method := toStr(argOr(args, kw, 1, "method", "common"))
		p := math.Pow(10, float64(prec))
		switch method {
		case "ceil":
			return math.Ceil(f*p) / p, nil
		case "floor":
			return math.Floor(f*p) / p, nil
		}
		if _, isInt := toIntNum(v); isInt && method == "common" {
			return callFilter("int", v, nil, nil) // Python's round(int, n) stays an int
		}
		if prec >= 0 && prec <= 300 {
			// Python's round(): correctly rounded on the exact binary value, ties to even
			// (round(2.675, 2) == 2.67, round(2.5) == 2.0), which is what strconv does too.
			r, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'f', int(prec), 64), 64)
			return r, nil
		}
		return math.RoundToEven(f*p) / p, nil
	case "reverse":
		if s, ok := v.(string); ok {
			r := []rune(s)
			for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
				r[i], r[j] = r[j], r[i]
			}
			return string(r), nil
		}
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(items))
		for i, it := range items {
			out[len(items)-1-i] = it
		}
		switch v.(type) {
		case []any, tuple, *Dict: // Python's reversed() iterator
			return &generator{items: out}, nil
		}
		return out, nil // list(value) reversed, for one-shot iterables
	case "sort":
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		out := append([]any{}, items...)
		rev := truthy(argOr(args, kw, 0, "reverse", false))
		cs := truthy(argOr(args, kw, 1, "case_sensitive", false))
		attr := argOr(args, kw, 2, "attribute", nil)
		key := func(x any) any {
			if attr != nil {
				x, _ = getItem(x, attr)
			}
			if s, ok := x.(string); ok && !cs {
				return strings.ToLower(s)
			}
			return x
		}
		var sortErr error
		sort.SliceStable(out, func(i, j int) bool {
			c, err := compare(key(out[i]), key(out[j]), "<")
			if err != nil {
				sortErr = err
			}
			if rev {
				return c > 0
			}
			return c < 0
		})
		return out, sortErr
	case "unique":
		items, err := iterate(v)
		if err != nil {
			return &generator{err: err}, nil
		}
		out := []any{}
		for _, it := range items {
			dup := false
			for _, o := range out {
				if equal(o, it) {
					dup = true
					break
				}
			}
			if !dup {
				out = append(out, it)
			}
		}
		return &generator{items: out}, nil
	case "map":
		if !truthy(v) { // Jinja's map/select_or_reject start with `if value:`
			return &generator{items: []any{}}, nil
		}
		items, err := iterate(v)
		if err != nil {
			return &generator{err: err}, nil
		}
		out := make([]any, len(items))
		if attr := argOr(nil, kw, -1, "attribute", nil); attr != nil {
			def := argOr(nil, kw, -1, "default", nil)
			for i, it := range items {
				if out[i], err = getItem(it, attr); err != nil {
					return nil, err
				}
				if isUndefined(out[i]) && def != nil {
					out[i] = def
				}
			}
			return &generator{items: out}, nil
		}
		if len(args) == 0 {
			return nil, errors.New("map: no filter given")
		}
		for i, it := range items {
			if out[i], err = callFilter(toStr(args[0]), it, args[1:], nil); err != nil {
				return &generator{err: err}, nil // raised when iterated, like the Python generator
			}
		}
		return &generator{items: out}, nil
	case "select", "reject", "selectattr", "rejectattr":
		if !truthy(v) { // Jinja's map/select_or_reject start with `if value:`
			return &generator{items: []any{}}, nil
		}
		items, err := iterate(v)
		if err != nil {
			return &generator{err: err}, nil
		}
		byAttr := strings.HasSuffix(name, "attr")
		want := strings.HasPrefix(name, "select")
		rest := args
		var attr any
		if byAttr {
			if len(rest) == 0 {
				return nil, fmt.Errorf("%s: missing attribute", name)
			}
			attr, rest = rest[0], rest[1:]
		}
		out := []any{}
		for _, it := range items {
			x := it
			if byAttr {
				if x, err = getItem(it, attr); err != nil {
					return nil, err
				}
			}
			ok := truthy(x)
			if len(rest) > 0 {
				if ok, err = callTest(toStr(rest[0]), x, rest[1:]); err != nil {
					return &generator{err: err}, nil
				}
			}
			if ok == want {
				out = append(out, it)
			}
		}
		return &generator{items: out}, nil
	case "dictsort":
		d, ok := v.(*Dict)
		if !ok {
			return nil, errors.New("dictsort: not a dict")
		}
		keys, vals := sortedItems(d)
		out := make([]any, len(keys))
		for i := range keys {
			out[i] = tuple{keys[i], vals[i]}
		}
		return out, nil
	case "indent":
		if _, ok := v.(string); !ok && !isUndefined(v) {
			return nil, fmt.Errorf("unsupported operand type(s) for +=: '%s' and 'str'", typeName(v))
		}
		width := argOr(args, kw, 0, "width", int64(4))
		ind := ""
		if s, ok := width.(string); ok {
			ind = s
		} else {
			n, _ := toIntNum(width)
			ind = strings.Repeat(" ", int(n))
		}
		first := truthy(argOr(args, kw, 1, "first", false))
		blank := truthy(argOr(args, kw, 2, "blank", false))
		lines := strings.Split(toStr(v), "\n")
		for i := range lines {
			if (i > 0 || first) && (blank || strings.TrimFunc(lines[i], pyIsSpace) != "") {
				lines[i] = ind + lines[i]
			}
		}
		return strings.Join(lines, "\n"), nil
	case "sum":
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		attr := argOr(args, kw, 0, "attribute", nil)
		total := argOr(args, kw, 1, "start", int64(0))
		for _, it := range items {
			if attr != nil {
				if it, err = getItem(it, attr); err != nil {
					return nil, err
				}
			}
			if total, err = arith("+", total, it); err != nil {
				return nil, err
			}
		}
		return total, nil
	case "min", "max":
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return Undefined{Hint: "No aggregated item, sequence was empty."}, nil
		}
		cs := truthy(argOr(args, kw, 0, "case_sensitive", false))
		attr := argOr(args, kw, 1, "attribute", nil)
		key := func(x any) any {
			if attr != nil {
				x, _ = getItem(x, attr)
			}
			if s, ok := x.(string); ok && !cs {
				return strings.ToLower(s)
			}
			return x
		}
		best := items[0]
		for _, it := range items[1:] {
			c, err := compare(key(it), key(best), "<")
			if err != nil {
				return nil, err
			}
			if (name == "min" && c < 0) || (name == "max" && c > 0) {
				best = it
			}
		}
		return best, nil
	case "batch":
		items, err := iterate(v)
		if err != nil {
			return &generator{err: err}, nil
		}
		n, ok := toIntNum(argOr(args, kw, 0, "linecount", nil))
		if !ok || n <= 0 {
			return nil, errors.New("batch: linecount must be a positive integer")
		}
		fill := argOr(args, kw, 1, "fill_with", nil)
		var out []any
		for i := 0; i < len(items); i += int(n) {
			end := min(i+int(n), len(items))
			row := append([]any{}, items[i:end]...)
			if fill != nil {
				for len(row) < int(n) {
					row = append(row, fill)
				}
			}
			out = append(out, row)
		}
		return &generator{items: out}, nil
	case "center":
		w, _ := toIntNum(argOr(args, kw, 0, "width", int64(80)))
		s := toStr(v)
		n := utf8.RuneCountInString(s)
		if int(w) <= n {
			return s, nil
		}
		// Python str.center: the extra space goes left when the padding is odd and the width
		// is odd.
		pad := int(w) - n
		left := pad/2 + (pad & int(w) & 1)
		return strings.Repeat(" ", left) + s + strings.Repeat(" ", pad-left), nil
	case "truncate":
		if _, err := length(v); err != nil {
			return nil, err
		}
		s := toStr(v)
		ln, _ := toIntNum(argOr(args, kw, 0, "length", int64(255)))
		killwords := truthy(argOr(args, kw, 1, "killwords", false))
		end := toStr(argOr(args, kw, 2, "end", "..."))
		leeway, _ := toIntNum(argOr(args, kw, 3, "leeway", int64(5)))
		r := []rune(s)
		if int64(len(r)) <= ln+leeway {
			return s, nil
		}
		keep := int(ln) - utf8.RuneCountInString(end)
		if keep < 0 {
			keep = 0
		}
		if killwords {
			return string(r[:keep]) + end, nil
		}
		cut := string(r[:keep])
		if i := strings.LastIndex(cut, " "); i >= 0 {
			cut = cut[:i]
		}
		return cut + end, nil
	case "attr":
		name := toStr(argOr(args, kw, 0, "name", ""))
		switch x := v.(type) {
		case *Namespace:
			if val, ok := x.attrs.Get(name); ok {
				return val, nil
			}
		case *loopVar:
			if val, ok := x.attr(name); ok {
				return val, nil
			}
		}
		if m, ok := method(v, name); ok {
			return m, nil
		}
		return missing(v, name), nil
	case "format": // Jinja's do_format: soft_str(value) % (kwargs or args)
		if len(args) > 0 && kw != nil {
			return nil, errors.New("can't handle positional and keyword arguments at the same time")
		}
		if kw != nil {
			return pyPercent(toStr(v), kw)
		}
		return pyPercent(toStr(v), tuple(args))
	case "wordcount":
		return int64(len(strings.FieldsFunc(toStr(v), func(r rune) bool { return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_') }))), nil
	}
	return nil, fmt.Errorf("no filter named '%s'", name)
}

func callTest(name string, v any, args []any) (bool, error) {
	arg := func() (any, error) {
		if len(args) == 0 {
			return nil, fmt.Errorf("test '%s' needs an argument", name)
		}
		return args[0], nil
	}
	switch name {
	case "defined":
		return !isUndefined(v), nil
	case "undefined":
		return isUndefined(v), nil
	case "none":
		return v == nil, nil
	case "string":
		_, ok := v.(string)
		return ok, nil
	case "number":
		switch v.(type) {
		case bool, int64, float64:
			return true, nil
		}
		return false, nil
	case "integer":
		_, ok := v.(int64)
		return ok, nil
	case "float":
		_, ok := v.(float64)
		return ok, nil
	case "boolean":
		_, ok := v.(bool)
		return ok, nil
	case "true":
		return v == true, nil
	case "false":
		return v == false, nil
	case "mapping":
		_, ok := v.(*Dict)
		return ok, nil
	case "iterable":
		switch v.(type) {
		case string, []any, tuple, *Dict, Undefined, *generator:
			return true, nil
		}
		return false, nil
	case "sequence":
		switch v.(type) {
		case string, []any, tuple, *Dict, Undefined:
			return true, nil
		}
		return false, nil
	case "callable":
		switch v.(type) {
		case *Func, Undefined: // jinja2.Undefined defines __call__ (it raises when called)
			return true, nil
		}
		return false, nil
	case "lower":
		s := toStr(v)
		return s == strings.ToLower(s) && strings.ToUpper(s) != s, nil
	case "upper":
		s := toStr(v)
		return s == strings.ToUpper(s) && strings.ToLower(s) != s, nil
	case "even", "odd":
		m, err := arith("%", v, int64(2))
		if err != nil {
			return false, err
		}
		if name == "even" {
			return equal(m, int64(0)), nil
		}
		return equal(m, int64(1)), nil
	case "divisibleby":
		a, err := arg()
		if err != nil {
			return false, err
		}
		m, err := arith("%", v, a)
		if err != nil {
			return false, err
		}
		return equal(m, int64(0)), nil
	case "equalto", "eq", "==", "sameas":
		a, err := arg()
		if err != nil {
			return false, err
		}
		return equal(v, a), nil
	case "ne", "!=":
		a, err := arg()
		if err != nil {
			return false, err
		}
		return !equal(v, a), nil
	case "lt", "<", "gt", ">", "le", "<=", "ge", ">=", "lessthan", "greaterthan":
		a, err := arg()
		if err != nil {
			return false, err
		}
		op := map[string]string{"lt": "<", "lessthan": "<", "gt": ">", "greaterthan": ">", "le": "<=", "ge": ">="}[name]
		if op == "" {
			op = name
		}
		return compareOp(op, v, a)
	case "in":
		a, err := arg()
		if err != nil {
			return false, err
		}
		return contains(a, v)
	}
	return false, fmt.Errorf("no test named '%s'", name)
}

// method returns a bound method of a str or dict (the safe ones the sandbox allows).
func method(obj any, name string) (any, bool) {
	switch x := obj.(type) {
	case string:
		return strMethod(x, name)
	case *Dict:
		switch name {
		case "items":
			return &Func{name, func([]any, *Dict) (any, error) { // dict_items, kept as a list of pairs
				out := make([]any, x.Len())
				for i, k := range x.keys {
					out[i] = tuple{k, x.vals[i]}
				}
				return out, nil
			}}, true
		case "keys":
			return &Func{name, func([]any, *Dict) (any, error) { return x.Keys(), nil }}, true
		case "values":
			return &Func{name, func([]any, *Dict) (any, error) { return append([]any{}, x.vals...), nil }}, true
		case "get":
			return &Func{name, func(args []any, kw *Dict) (any, error) {
				if len(args) == 0 {
					return nil, errors.New("get expected at least 1 argument")
				}
				if v, ok := x.Get(args[0]); ok {
					return v, nil
				}
				return argOr(args, kw, 1, "default", nil), nil
			}}, true
		}
	}
	return nil, false
}

func strMethod(s, name string) (any, bool) {
	chars := func(args []any) (string, bool) {
		if len(args) > 0 && args[0] != nil {
			return toStr(args[0]), true
		}
		return "", false
	}
	var fn func(args []any, kw *Dict) (any, error)
	switch name {
	case "strip", "lstrip", "rstrip":
		fn = func(args []any, _ *Dict) (any, error) {
			c, custom := chars(args)
			trim := func(r rune) bool { return pyIsSpace(r) }
			if custom {
				trim = func(r rune) bool { return strings.ContainsRune(c, r) }
			}
			switch name {
			case "lstrip":
				return strings.TrimLeftFunc(s, trim), nil
			case "rstrip":
				return strings.TrimRightFunc(s, trim), nil
			}
			return strings.TrimFunc(s, trim), nil
		}
	case "upper":
		fn = func([]any, *Dict) (any, error) { return strings.ToUpper(s), nil }
	case "lower":
		fn = func([]any, *Dict) (any, error) { return strings.ToLower(s), nil }
	case "title":
		fn = func([]any, *Dict) (any, error) { return pyTitle(s), nil }
	case "capitalize":
		fn = func([]any, *Dict) (any, error) { return pyCapitalize(s), nil }
	case "startswith", "endswith":
		fn = func(args []any, _ *Dict) (any, error) {
			if len(args) == 0 {
				return nil, fmt.Errorf("%s takes at least 1 argument", name)
			}
			cands := []any{args[0]}
			if l, ok := asSeq(args[0]); ok {
				cands = l
			}
			for _, c := range cands {
				p, ok := c.(string)
				if !ok {
					return nil, fmt.Errorf("%s first arg must be str or a tuple of str", name)
				}
				if (name == "startswith" && strings.HasPrefix(s, p)) || (name == "endswith" && strings.HasSuffix(s, p)) {
					return true, nil
				}
			}
			return false, nil
		}
	case "split":
		fn = func(args []any, kw *Dict) (any, error) {
			sep := argOr(args, kw, 0, "sep", nil)
			maxN, _ := toIntNum(argOr(args, kw, 1, "maxsplit", int64(-1)))
			var parts []string
			if sep == nil {
				parts = pySplitWhitespace(s, int(maxN))
			} else {
				if toStr(sep) == "" {
					return nil, errors.New("empty separator")
				}
				n := -1
				if maxN >= 0 {
					n = int(maxN) + 1
				}
				parts = strings.SplitN(s, toStr(sep), n)
			}
			out := make([]any, len(parts))
			for i, p := range parts {
				out[i] = p
			}
			return out, nil
		}
	case "replace":
		fn = func(args []any, _ *Dict) (any, error) {
			if len(args) < 2 {
				return nil, errors.New("replace expected 2 arguments")
			}
			n := -1
			if len(args) > 2 {
				i, _ := toIntNum(args[2])
				n = int(i)
			}
			return strings.Replace(s, toStr(args[0]), toStr(args[1]), n), nil
		}
	case "find", "count":
		fn = func(args []any, _ *Dict) (any, error) {
			if len(args) == 0 {
				return nil, fmt.Errorf("%s takes at least 1 argument", name)
			}
			sub := toStr(args[0])
			if name == "count" {
				return int64(strings.Count(s, sub)), nil
			}
			i := strings.Index(s, sub)
			if i < 0 {
				return int64(-1), nil
			}
			return int64(utf8.RuneCountInString(s[:i])), nil
		}
	case "join":
		fn = func(args []any, _ *Dict) (any, error) {
			if len(args) == 0 {
				return nil, errors.New("join takes 1 argument")
			}
			return callFilter("join", args[0], []any{s}, nil)
		}
	default:
		return nil, false
	}
	return &Func{name, fn}, true
}

func pySplitWhitespace(s string, maxN int) []string {
	var out []string
	for {
		s = strings.TrimLeftFunc(s, pyIsSpace)
		if s == "" {
			return out
		}
		if maxN >= 0 && len(out) == maxN {
			return append(out, s)
		}
		i := strings.IndexFunc(s, pyIsSpace)
		if i < 0 {
			return append(out, s)
		}
		out = append(out, s[:i])
		s = s[i:]
	}
}

func pyCapitalize(s string) string {
	if s == "" {
		return s
	}
	r, w := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + strings.ToLower(s[w:])
}

// jinjaTitle is Jinja's title filter (do_title): the text is split at runs of whitespace and
// "-({[<", and each piece gets its first character upper-cased and the rest lower-cased.
func jinjaTitle(s string) string {
	isSep := func(r rune) bool { return pyIsSpace(r) || strings.ContainsRune("-({[<", r) }
	var b strings.Builder
	first := true
	for _, r := range s {
		switch {
		case isSep(r):
			b.WriteRune(r)
			first = true
		case first:
			b.WriteRune(unicode.ToUpper(r))
			first = false
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// pyTitle is Python's str.title(): a letter after a non-letter starts a word.
func pyTitle(s string) string {
	var b strings.Builder
	prevLetter := false
	for _, r := range s {
		if unicode.IsLetter(r) {
			if prevLetter {
				b.WriteRune(unicode.ToLower(r))
			} else {
				b.WriteRune(unicode.ToUpper(r))
			}
			prevLetter = true
		} else {
			b.WriteRune(r)
			prevLetter = false
		}
	}
	return b.String()
}
