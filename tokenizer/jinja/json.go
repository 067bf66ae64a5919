package jinja

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"

	"github.com/ct2go/ct2go/internal/pyjson"
)

// FromJSON decodes JSON into template values the way Python's json.loads does: objects become
// insertion-ordered dicts, integers stay ints (big ones too), other numbers become floats.
func FromJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after JSON value")
	}
	return v, nil
}

// FromGo converts a Go value to template values through encoding/json, so struct field order is
// kept and map keys come out sorted (encoding/json's order). json.RawMessage passes through
// FromJSON unchanged, keeping its key order.
func FromGo(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case json.RawMessage:
		if len(x) == 0 {
			return nil, nil
		}
		return FromJSON(x)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return FromJSON(data)
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch x := tok.(type) {
	case json.Delim:
		switch x {
		case '[':
			list := []any{}
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			_, err := dec.Token()
			return list, err
		case '{':
			d := NewDict()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key %v is not a string", kt)
				}
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				d.Set(k, v)
			}
			_, err := dec.Token()
			return d, err
		}
		return nil, fmt.Errorf("unexpected %v", x)
	case json.Number:
		s := string(x)
		if !strings.ContainsAny(s, ".eE") {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return i, nil
			}
			if b, ok := new(big.Int).SetString(s, 10); ok {
				return b, nil
			}
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, err
		}
		return f, nil
	case string, bool, nil:
		return x, nil
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}

// pyDumps is Python's json.dumps(v, ensure_ascii, indent, separators, sort_keys) on template
// values: tuples are lists, dicts keep their insertion order unless o.SortKeys, when they are
// sorted by their original keys (before those become strings), as Python does.
func pyDumps(v any, o pyjson.Options) (string, error) {
	o.Convert = func(v any) (any, error) {
		switch x := v.(type) {
		case tuple:
			return []any(x), nil
		case *Dict:
			keys, vals := x.keys, x.vals
			if o.SortKeys {
				keys, vals = sortedItems(x)
			}
			p := pyjson.Pairs{Keys: make([]string, len(keys)), Values: vals}
			for i, k := range keys {
				ks, err := jsonKey(k)
				if err != nil {
					return nil, err
				}
				p.Keys[i] = ks
			}
			return p, nil
		}
		return nil, fmt.Errorf("Object of type %s is not JSON serializable", typeName(v))
	}
	return pyjson.MarshalString(v, o)
}

// jsonKey converts a dict key as json.dumps does (str, int, float, bool, None).
func jsonKey(k any) (string, error) {
	switch x := k.(type) {
	case string:
		return x, nil
	case nil:
		return "null", nil
	case bool:
		if x {
			return "true", nil
		}
		return "false", nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return pyjson.FloatRepr(x), nil
	}
	return "", fmt.Errorf("keys must be str, int, float, bool or None, not %s", typeName(k))
}

func sortedItems(d *Dict) ([]any, []any) {
	idx := make([]int, d.Len())
	for i := range idx {
		idx[i] = i
	}
	// Python sorts str keys; mixed key types would raise there, here they sort by repr.
	less := func(a, b any) bool {
		if c, err := compare(a, b, "<"); err == nil {
			return c < 0
		}
		return repr(a) < repr(b)
	}
	for i := 1; i < len(idx); i++ {
		for j := i; j > 0 && less(d.keys[idx[j]], d.keys[idx[j-1]]); j-- {
			idx[j], idx[j-1] = idx[j-1], idx[j]
		}
	}
	keys := make([]any, len(idx))
	vals := make([]any, len(idx))
	for i, k := range idx {
		keys[i], vals[i] = d.keys[k], d.vals[k]
	}
	return keys, vals
}
