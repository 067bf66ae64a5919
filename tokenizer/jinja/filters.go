package jinja

import "fmt"

// A filter is value | name(args, kw=...). The table is split by kind the way
// Jinja2's filters.py groups them: filters_string.go, filters_seq.go,
// filters_num.go; tests (value is name(arg)) live in tests.go.
type filterFunc func(v any, args []any, kw *Dict) (any, error)

// filters is filled in init: the map filter calls back into it, which an
// initializer expression may not (Go rejects the initialization cycle).
var filters map[string]filterFunc

func init() {
	filters = map[string]filterFunc{}
	for _, kind := range []map[string]filterFunc{generalFilters, stringFilters, sequenceFilters, numberFilters} {
		for name, f := range kind {
			if _, dup := filters[name]; dup {
				panic("jinja: filter " + name + " defined twice")
			}
			filters[name] = f
		}
	}
}

func callFilter(name string, v any, args []any, kw *Dict) (any, error) {
	if f, ok := filters[name]; ok {
		return f(v, args, kw)
	}
	return nil, fmt.Errorf("no filter named '%s'", name)
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

// Filters that apply to any value.
var generalFilters = map[string]filterFunc{
	"default": filterDefault,
	"d":       filterDefault,
	"attr":    filterAttr,
}

func filterDefault(v any, args []any, kw *Dict) (any, error) {
	def := argOr(args, kw, 0, "default_value", "")
	boolean := truthy(argOr(args, kw, 1, "boolean", false))
	if isUndefined(v) || (boolean && !truthy(v)) {
		return def, nil
	}
	return v, nil
}

func filterAttr(v any, args []any, kw *Dict) (any, error) {
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
}
