package jinja

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

type tokKind int

const (
	tEOF tokKind = iota
	tText
	tVarBegin
	tVarEnd
	tBlockBegin
	tBlockEnd
	tName
	tString
	tInt
	tFloat
	tOp
)

type token struct {
	kind tokKind
	val  string // text, name, operator, decoded string literal or number text
	line int
}

func (t token) String() string {
	switch t.kind {
	case tEOF:
		return "end of template"
	case tText:
		return "template data"
	case tVarBegin:
		return "'{{'"
	case tVarEnd:
		return "'}}'"
	case tBlockBegin:
		return "'{%'"
	case tBlockEnd:
		return "'%}'"
	case tString:
		return strconv.Quote(t.val)
	}
	return "'" + t.val + "'"
}

// Environment options fixed to transformers' chat-template environment.
const (
	trimBlocks   = true
	lstripBlocks = true
)

// pyIsSpace is Python's str.isspace for one code point (used by str.strip(), the "-" whitespace
// control's rstrip and \s in Python's re): it includes U+001C..U+001F, unlike Go's unicode.IsSpace.
func pyIsSpace(r rune) bool {
	switch {
	case r >= 0x09 && r <= 0x0D, r >= 0x1C && r <= 0x20, r == 0x85, r == 0xA0, r == 0x1680,
		r >= 0x2000 && r <= 0x200A, r == 0x2028, r == 0x2029, r == 0x202F, r == 0x205F, r == 0x3000:
		return true
	}
	return false
}

func pyRstrip(s string) string {
	return strings.TrimRightFunc(s, pyIsSpace)
}

func pyLstrip(s string) string {
	return strings.TrimLeftFunc(s, pyIsSpace)
}

type lexer struct {
	src          string
	pos          int
	line         int
	toks         []token
	lineStarting bool
}

// lex tokenizes a template the way jinja2.lexer does with trim_blocks and lstrip_blocks: a
// single trailing newline of the source is dropped (keep_trailing_newline=False), "-" strips
// whitespace next to a tag, "+" disables lstrip, "%}" and "#}" eat one following newline.
func lex(src string) ([]token, error) {
	src = strings.ReplaceAll(src, "\r\n", "\n")
	src = strings.ReplaceAll(src, "\r", "\n")
	src = strings.TrimSuffix(src, "\n")
	lx := &lexer{src: src, line: 1, lineStarting: true}
	if err := lx.run(); err != nil {
		return nil, err
	}
	return lx.toks, nil
}

func (lx *lexer) errorf(format string, args ...any) error {
	return fmt.Errorf("line %d: %s", lx.line, fmt.Sprintf(format, args...))
}

func (lx *lexer) emit(k tokKind, v string) {
	lx.toks = append(lx.toks, token{kind: k, val: v, line: lx.line})
}

func (lx *lexer) run() error {
	for {
		idx := -1
		for i := lx.pos; i+1 < len(lx.src); i++ {
			if lx.src[i] == '{' {
				if c := lx.src[i+1]; c == '{' || c == '%' || c == '#' {
					idx = i
					break
				}
			}
		}
		if idx < 0 {
			lx.text(lx.src[lx.pos:])
			lx.emit(tEOF, "")
			return nil
		}
		text := lx.src[lx.pos:idx]
		kind := lx.src[idx+1]
		mod := byte(0)
		if idx+2 < len(lx.src) && (lx.src[idx+2] == '-' || lx.src[idx+2] == '+') {
			mod = lx.src[idx+2]
		}
		if mod == '-' {
			text = pyRstrip(text)
		} else if mod != '+' && lstripBlocks && kind != '{' {
			lpos := strings.LastIndexByte(text, '\n') + 1
			if lpos > 0 || lx.lineStarting {
				// Jinja2 3.1.6 strips when the rest of the line is \s+ in Python's sense
				// (whitespace_re.fullmatch); older releases stripped only spaces and tabs.
				if strings.TrimLeftFunc(text[lpos:], pyIsSpace) == "" {
					text = text[:lpos]
				}
			}
		}
		lx.text(text)
		lx.line += strings.Count(lx.src[lx.pos:idx], "\n") - strings.Count(text, "\n")
		lx.pos = idx + 2
		if mod != 0 {
			lx.pos++
		}
		var err error
		switch kind {
		case '#':
			err = lx.comment()
		case '{':
			lx.emit(tVarBegin, "")
			err = lx.inside("}}", tVarEnd)
		case '%':
			lx.emit(tBlockBegin, "")
			err = lx.inside("%}", tBlockEnd)
			if err == nil {
				err = lx.maybeRaw()
			}
		}
		if err != nil {
			return err
		}
	}
}

func (lx *lexer) text(s string) {
	if s == "" {
		return
	}
	lx.emit(tText, s)
	lx.line += strings.Count(s, "\n")
}

// afterClose applies the closing whitespace control: "-" strips all following whitespace; a
// plain block/comment end eats one newline under trim_blocks ("+%}" keeps it).
func (lx *lexer) afterClose(mod byte, block bool) {
	start := lx.pos
	if mod == '-' {
		rest := pyLstrip(lx.src[lx.pos:])
		lx.pos = len(lx.src) - len(rest)
	} else if mod != '+' && block && trimBlocks && lx.pos < len(lx.src) && lx.src[lx.pos] == '\n' {
		lx.pos++
	}
	consumed := lx.src[start:lx.pos]
	lx.line += strings.Count(consumed, "\n")
	if consumed != "" {
		lx.lineStarting = consumed[len(consumed)-1] == '\n'
	} else {
		lx.lineStarting = false
	}
}

func (lx *lexer) comment() error {
	end := strings.Index(lx.src[lx.pos:], "#}")
	if end < 0 {
		return lx.errorf("unclosed comment")
	}
	body := lx.src[lx.pos : lx.pos+end]
	lx.line += strings.Count(body, "\n")
	mod := byte(0)
	if strings.HasSuffix(body, "-") || strings.HasSuffix(body, "+") {
		mod = body[len(body)-1]
	}
	lx.pos += end + 2
	lx.afterClose(mod, true)
	return nil
}

// maybeRaw handles {% raw %}...{% endraw %}: the body is emitted as text verbatim.
func (lx *lexer) maybeRaw() error {
	n := len(lx.toks)
	if n < 3 || lx.toks[n-3].kind != tBlockBegin || lx.toks[n-2].kind != tName || lx.toks[n-2].val != "raw" {
		return nil
	}
	lx.toks = lx.toks[:n-3]
	rest := lx.src[lx.pos:]
	for off := 0; ; {
		i := strings.Index(rest[off:], "{%")
		if i < 0 {
			return lx.errorf("missing endraw")
		}
		j := off + i + 2
		strip := j < len(rest) && rest[j] == '-'
		if strip || (j < len(rest) && rest[j] == '+') {
			j++
		}
		k := j
		for k < len(rest) && (rest[k] == ' ' || rest[k] == '\t' || rest[k] == '\n') {
			k++
		}
		if !strings.HasPrefix(rest[k:], "endraw") {
			off = off + i + 2
			continue
		}
		k += len("endraw")
		for k < len(rest) && (rest[k] == ' ' || rest[k] == '\t' || rest[k] == '\n') {
			k++
		}
		closeMod := byte(0)
		if strings.HasPrefix(rest[k:], "-%}") || strings.HasPrefix(rest[k:], "+%}") {
			closeMod = rest[k]
			k++
		}
		if !strings.HasPrefix(rest[k:], "%}") {
			return lx.errorf("malformed endraw")
		}
		body := rest[:off+i]
		if strip {
			body = pyRstrip(body)
		}
		lx.text(body)
		lx.line += strings.Count(rest[off+i:k], "\n")
		lx.pos += k + 2
		lx.afterClose(closeMod, true)
		return nil
	}
}

var operators = []string{"//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">",
	"=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", ";"}

// inside lexes expression tokens up to the closing delimiter (at bracket depth 0).
func (lx *lexer) inside(closeDelim string, closeKind tokKind) error {
	depth := 0
	for {
		for lx.pos < len(lx.src) {
			c := lx.src[lx.pos]
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				if c == '\n' {
					lx.line++
				}
				lx.pos++
				continue
			}
			break
		}
		if lx.pos >= len(lx.src) {
			return lx.errorf("unexpected end of template, expected %q", closeDelim)
		}
		rest := lx.src[lx.pos:]
		if depth == 0 {
			mod := byte(0)
			r := rest
			if (r[0] == '-' || r[0] == '+') && strings.HasPrefix(r[1:], closeDelim) {
				mod = r[0]
				r = r[1:]
				lx.pos++
			}
			if strings.HasPrefix(r, closeDelim) {
				lx.pos += len(closeDelim)
				lx.emit(closeKind, "")
				lx.afterClose(mod, closeKind == tBlockEnd)
				return nil
			}
		}
		c := rest[0]
		switch {
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			n := 1
			for n < len(rest) && (rest[n] == '_' || rest[n] >= 'a' && rest[n] <= 'z' || rest[n] >= 'A' && rest[n] <= 'Z' || rest[n] >= '0' && rest[n] <= '9') {
				n++
			}
			lx.emit(tName, rest[:n])
			lx.pos += n
		case c >= '0' && c <= '9':
			n, isFloat := scanNumber(rest)
			num := strings.ReplaceAll(rest[:n], "_", "")
			if isFloat {
				lx.emit(tFloat, num)
			} else {
				lx.emit(tInt, num)
			}
			lx.pos += n
		case c == '"' || c == '\'':
			s, n, err := scanString(rest)
			if err != nil {
				return lx.errorf("%v", err)
			}
			lx.emit(tString, s)
			lx.line += strings.Count(rest[:n], "\n")
			lx.pos += n
		default:
			op := ""
			for _, o := range operators {
				if strings.HasPrefix(rest, o) {
					op = o
					break
				}
			}
			if op == "" {
				r, _ := utf8.DecodeRuneInString(rest)
				return lx.errorf("unexpected char %q", r)
			}
			switch op {
			case "(", "[", "{":
				depth++
			case ")", "]", "}":
				if depth == 0 {
					return lx.errorf("unexpected %q", op)
				}
				depth--
			}
			lx.emit(tOp, op)
			lx.pos += len(op)
		}
	}
}

// scanNumber measures an integer or float literal (digits with "_", optional fraction and
// exponent) at the start of s.
func scanNumber(s string) (n int, isFloat bool) {
	digits := func(i int) int {
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '_') {
			i++
		}
		return i
	}
	n = digits(0)
	if n+1 < len(s) && s[n] == '.' && s[n+1] >= '0' && s[n+1] <= '9' {
		n = digits(n + 1)
		isFloat = true
	}
	if n < len(s) && (s[n] == 'e' || s[n] == 'E') {
		j := n + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && s[j] >= '0' && s[j] <= '9' {
			n = digits(j)
			isFloat = true
		}
	}
	return n, isFloat
}

// scanString decodes a quoted literal with Python's unicode-escape rules (unknown escapes keep
// their backslash).
func scanString(s string) (string, int, error) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); {
		c := s[i]
		if c == q {
			return b.String(), i + 1, nil
		}
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			i++
			continue
		}
		e := s[i+1]
		i += 2
		switch e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '\\', '\'', '"':
			b.WriteByte(e)
		case 'a':
			b.WriteByte(7)
		case 'b':
			b.WriteByte(8)
		case 'f':
			b.WriteByte(12)
		case 'v':
			b.WriteByte(11)
		case '\n':
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			if i+n > len(s) {
				return "", 0, fmt.Errorf("truncated \\%c escape", e)
			}
			v, err := strconv.ParseUint(s[i:i+n], 16, 32)
			if err != nil || v > utf8.MaxRune {
				return "", 0, fmt.Errorf("bad \\%c escape", e)
			}
			b.WriteRune(rune(v))
			i += n
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j := i - 1
			for j < len(s) && j < i+2 && s[j] >= '0' && s[j] <= '7' {
				j++
			}
			v, _ := strconv.ParseUint(s[i-1:j], 8, 32)
			b.WriteRune(rune(v))
			i = j
		default:
			b.WriteByte('\\')
			b.WriteByte(e)
		}
	}
	return "", 0, fmt.Errorf("unterminated string")
}
