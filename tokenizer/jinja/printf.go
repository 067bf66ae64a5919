package jinja

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// pyPercent is Python's printf-style str % args: a tuple gives positional arguments, a dict
// gives named ones (%(name)s), anything else is a single argument. Conversions s r a d i u f F
// e E g G x X o c and %%, with flags -+ 0#, width and precision.
func pyPercent(format string, arg any) (string, error) {
	var args []any
	var mapping *Dict
	switch x := arg.(type) {
	case tuple:
		args = x
	case *Dict:
		mapping = x
		args = []any{x}
	default:
		args = []any{arg}
	}
	next := 0
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(format) {
			return "", errors.New("incomplete format")
		}
		var val any
		haveVal := false
		if format[i] == '(' {
			end := strings.IndexByte(format[i:], ')')
			if end < 0 {
				return "", errors.New("incomplete format key")
			}
			if mapping == nil {
				return "", errors.New("format requires a mapping")
			}
			v, ok := mapping.Get(format[i+1 : i+end])
			if !ok {
				return "", fmt.Errorf("KeyError: %s", strRepr(format[i+1:i+end]))
			}
			val, haveVal = v, true
			i += end + 1
		}
		flags := ""
		for i < len(format) && strings.IndexByte("-+ 0#", format[i]) >= 0 {
			flags += string(format[i])
			i++
		}
		width := ""
		for i < len(format) && format[i] >= '0' && format[i] <= '9' {
			width += string(format[i])
			i++
		}
		prec := -1
		if i < len(format) && format[i] == '.' {
			i++
			p := 0
			for i < len(format) && format[i] >= '0' && format[i] <= '9' {
				p = p*10 + int(format[i]-'0')
				if p > 1000 { // bounds the output of untrusted templates
					return "", errors.New("precision too big")
				}
				i++
			}
			prec = p
		}
		for i < len(format) && strings.IndexByte("hlL", format[i]) >= 0 { // length modifiers are ignored
			i++
		}
		if i >= len(format) {
			return "", errors.New("incomplete format")
		}
		conv := format[i]
		if conv == '%' {
			b.WriteByte('%')
			continue
		}
		if !haveVal {
			if next >= len(args) {
				return "", errors.New("not enough arguments for format string")
			}
			val = args[next]
			next++
		}
		s, err := formatOne(conv, flags, prec, val)
		if err != nil {
			return "", err
		}
		w, _ := strconv.Atoi(width)
		if len(width) > 8 || w > maxRepeatLen {
			return "", errors.New("width too big")
		}
		if pad := w - len([]rune(s)); pad > 0 {
			switch {
			case strings.Contains(flags, "-"):
				s += strings.Repeat(" ", pad)
			case strings.Contains(flags, "0") && strings.IndexByte("diufFeEgGxXo", conv) >= 0:
				sign := ""
				if s != "" && (s[0] == '-' || s[0] == '+' || s[0] == ' ') {
					sign, s = s[:1], s[1:]
				}
				s = sign + strings.Repeat("0", pad) + s
			default:
				s = strings.Repeat(" ", pad) + s
			}
		}
		b.WriteString(s)
	}
	if mapping == nil && next < len(args) {
		return "", errors.New("not all arguments converted during string formatting")
	}
	return b.String(), nil
}

func formatOne(conv byte, flags string, prec int, v any) (string, error) {
	sign := func(s string, neg bool) string {
		switch {
		case neg:
			return "-" + s
		case strings.Contains(flags, "+"):
			return "+" + s
		case strings.Contains(flags, " "):
			return " " + s
		}
		return s
	}
	switch conv {
	case 's', 'r', 'a':
		s := toStr(v)
		if conv != 's' {
			s = repr(v)
		}
		if prec >= 0 && prec < len([]rune(s)) {
			s = string([]rune(s)[:prec])
		}
		return s, nil
	case 'd', 'i', 'u', 'x', 'X', 'o':
		var n int64
		switch x := v.(type) {
		case bool, int64:
			n, _ = toIntNum(x)
		case float64:
			if conv == 'x' || conv == 'X' || conv == 'o' {
				return "", fmt.Errorf("%%%c format: an integer is required, not float", conv)
			}
			n = int64(x)
		default:
			return "", fmt.Errorf("%%%c format: a real number is required, not %s", conv, typeName(v))
		}
		neg := n < 0
		u := uint64(n)
		if neg {
			u = uint64(-n)
		}
		var s string
		switch conv {
		case 'x', 'X':
			s = strconv.FormatUint(u, 16)
			if strings.Contains(flags, "#") {
				s = "0x" + s
			}
			if conv == 'X' {
				s = strings.ToUpper(s)
			}
		case 'o':
			s = strconv.FormatUint(u, 8)
			if strings.Contains(flags, "#") {
				s = "0o" + s
			}
		default:
			s = strconv.FormatUint(u, 10)
		}
		return sign(s, neg), nil
	case 'f', 'F', 'e', 'E', 'g', 'G':
		f, ok := toFloatNum(v)
		if !ok {
			return "", fmt.Errorf("must be real number, not %s", typeName(v))
		}
		if prec < 0 {
			prec = 6
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			s := map[bool]string{true: "inf", false: "nan"}[math.IsInf(f, 0)]
			if conv >= 'A' && conv <= 'Z' {
				s = strings.ToUpper(s)
			}
			return sign(s, f < 0), nil
		}
		c := conv
		if c == 'F' {
			c = 'f'
		}
		if (c == 'g' || c == 'G') && prec == 0 {
			prec = 1
		}
		s := strconv.FormatFloat(math.Abs(f), c, prec, 64)
		if (c == 'g' || c == 'G') && strings.Contains(flags, "#") && !strings.Contains(s, ".") {
			s += "."
		}
		return sign(s, math.Signbit(f) && f != 0 || (f == 0 && math.Signbit(f))), nil
	case 'c':
		switch x := v.(type) {
		case int64:
			return string(rune(x)), nil
		case string:
			if len([]rune(x)) == 1 {
				return x, nil
			}
		}
		return "", errors.New("%c requires int or char")
	}
	return "", fmt.Errorf("unsupported format character '%c'", conv)
}
