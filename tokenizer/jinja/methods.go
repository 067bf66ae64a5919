package jinja

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

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
			return filterJoin(args[0], []any{s}, nil)
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
