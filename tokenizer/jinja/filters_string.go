package jinja

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ct2go/ct2go/internal/pyjson"
)

// Filters on text (and the ones that turn any value into text).
var stringFilters = map[string]filterFunc{
	"trim":       filterTrim,
	"lower":      func(v any, _ []any, _ *Dict) (any, error) { return strings.ToLower(toStr(v)), nil },
	"upper":      func(v any, _ []any, _ *Dict) (any, error) { return strings.ToUpper(toStr(v)), nil },
	"capitalize": func(v any, _ []any, _ *Dict) (any, error) { return pyCapitalize(toStr(v)), nil },
	"title":      func(v any, _ []any, _ *Dict) (any, error) { return jinjaTitle(toStr(v)), nil },
	"replace":    filterReplace,
	"string":     func(v any, _ []any, _ *Dict) (any, error) { return toStr(v), nil },
	"safe":       func(v any, _ []any, _ *Dict) (any, error) { return v, nil },
	"e":          filterEscape,
	"escape":     filterEscape,
	"indent":     filterIndent,
	"center":     filterCenter,
	"truncate":   filterTruncate,
	"format":     filterFormat,
	"wordcount":  filterWordcount,
	"tojson":     filterToJSON,
}

func filterTrim(v any, args []any, kw *Dict) (any, error) {
	chars := argOr(args, kw, 0, "chars", nil)
	if chars == nil {
		return strings.TrimFunc(toStr(v), pyIsSpace), nil
	}
	return strings.Trim(toStr(v), toStr(chars)), nil
}

func filterReplace(v any, args []any, kw *Dict) (any, error) {
	if len(args) < 2 {
		return nil, errors.New("replace needs old and new")
	}
	n := -1
	if c := argOr(args, kw, 2, "count", nil); c != nil {
		i, _ := toIntNum(c)
		n = int(i)
	}
	return strings.Replace(toStr(v), toStr(args[0]), toStr(args[1]), n), nil
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;")

func filterEscape(v any, _ []any, _ *Dict) (any, error) {
	return htmlEscaper.Replace(toStr(v)), nil
}

func filterIndent(v any, args []any, kw *Dict) (any, error) {
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
}

func filterCenter(v any, args []any, kw *Dict) (any, error) {
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
}

func filterTruncate(v any, args []any, kw *Dict) (any, error) {
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
}

// filterFormat is Jinja's do_format: soft_str(value) % (kwargs or args).
func filterFormat(v any, args []any, kw *Dict) (any, error) {
	if len(args) > 0 && kw != nil {
		return nil, errors.New("can't handle positional and keyword arguments at the same time")
	}
	if kw != nil {
		return pyPercent(toStr(v), kw)
	}
	return pyPercent(toStr(v), tuple(args))
}

func filterWordcount(v any, _ []any, _ *Dict) (any, error) {
	return int64(len(strings.FieldsFunc(toStr(v), func(r rune) bool { return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_') }))), nil
}

// filterToJSON is transformers' tojson: json.dumps with its ensure_ascii, indent, separators
// and sort_keys arguments (keyword only).
func filterToJSON(v any, args []any, kw *Dict) (any, error) {
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
