package jinja

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Filters on sequences and mappings. Those that are generators in Jinja2
// (items, map, select, ...) return a *generator, which is one-shot and
// raises its error only when iterated, as the Python generator does.
var sequenceFilters = map[string]filterFunc{
	"length":     filterLength,
	"count":      filterLength,
	"join":       filterJoin,
	"items":      filterItems,
	"list":       filterList,
	"first":      filterFirst,
	"last":       filterLast,
	"reverse":    filterReverse,
	"sort":       filterSort,
	"unique":     filterUnique,
	"map":        filterMap,
	"select":     selectOrReject("select", false, true),
	"reject":     selectOrReject("reject", false, false),
	"selectattr": selectOrReject("selectattr", true, true),
	"rejectattr": selectOrReject("rejectattr", true, false),
	"dictsort":   filterDictsort,
	"sum":        filterSum,
	"min":        filterMinMax(-1),
	"max":        filterMinMax(+1),
	"batch":      filterBatch,
}

func filterLength(v any, _ []any, _ *Dict) (any, error) {
	n, err := length(v)
	return int64(n), err
}

func filterJoin(v any, args []any, kw *Dict) (any, error) {
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
}

func filterItems(v any, _ []any, _ *Dict) (any, error) {
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
}

func filterList(v any, _ []any, _ *Dict) (any, error) {
	items, err := iterate(v)
	return append([]any{}, items...), err
}

func filterFirst(v any, _ []any, _ *Dict) (any, error) {
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return Undefined{Hint: "No first item, sequence was empty."}, nil
	}
	return items[0], nil
}

func filterLast(v any, _ []any, _ *Dict) (any, error) {
	if _, isGen := v.(*generator); isGen {
		return nil, errors.New("'generator' object is not reversible")
	}
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return Undefined{Hint: "No first item, sequence was empty."}, nil
	}
	return items[len(items)-1], nil
}

func filterReverse(v any, _ []any, _ *Dict) (any, error) {
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
}

// sortKey is the key sort, min and max compare by: the item or its attribute,
// lower-cased when it is a string and the comparison is not case sensitive.
func sortKey(attr any, caseSensitive bool) func(any) any {
	return func(x any) any {
		if attr != nil {
			x, _ = getItem(x, attr)
		}
		if s, ok := x.(string); ok && !caseSensitive {
			return strings.ToLower(s)
		}
		return x
	}
}

func filterSort(v any, args []any, kw *Dict) (any, error) {
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	out := append([]any{}, items...)
	rev := truthy(argOr(args, kw, 0, "reverse", false))
	cs := truthy(argOr(args, kw, 1, "case_sensitive", false))
	key := sortKey(argOr(args, kw, 2, "attribute", nil), cs)
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
}

func filterUnique(v any, _ []any, _ *Dict) (any, error) {
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
}

func filterMap(v any, args []any, kw *Dict) (any, error) {
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
}

// selectOrReject is Jinja's select_or_reject: keep the items (or, byAttr, the
// items whose attribute) pass the test given as first argument, or are truthy
// without one; want=false keeps the others.
func selectOrReject(name string, byAttr, want bool) filterFunc {
	return func(v any, args []any, _ *Dict) (any, error) {
		if !truthy(v) { // Jinja's map/select_or_reject start with `if value:`
			return &generator{items: []any{}}, nil
		}
		items, err := iterate(v)
		if err != nil {
			return &generator{err: err}, nil
		}
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
	}
}

func filterDictsort(v any, _ []any, _ *Dict) (any, error) {
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
}

func filterSum(v any, args []any, kw *Dict) (any, error) {
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
}

// filterMinMax is min (sign -1) or max (sign +1): the first item no other
// beats.
func filterMinMax(sign int) filterFunc {
	return func(v any, args []any, kw *Dict) (any, error) {
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return Undefined{Hint: "No aggregated item, sequence was empty."}, nil
		}
		cs := truthy(argOr(args, kw, 0, "case_sensitive", false))
		key := sortKey(argOr(args, kw, 1, "attribute", nil), cs)
		best := items[0]
		for _, it := range items[1:] {
			c, err := compare(key(it), key(best), "<")
			if err != nil {
				return nil, err
			}
			if c*sign > 0 {
				best = it
			}
		}
		return best, nil
	}
}

func filterBatch(v any, args []any, kw *Dict) (any, error) {
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
}
