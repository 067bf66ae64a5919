package jinja

import (
	"fmt"
	"strconv"
)

// AST nodes. Statements render into the output; expressions evaluate to values.
type node interface{}

type (
	textNode   struct{ text string }
	outputNode struct{ expr expr }
	ifNode     struct {
		conds  []expr
		bodies [][]node
		els    []node
	}
	forNode struct {
		targets []string
		iter    expr
		filter  expr
		body    []node
		els     []node
	}
	setNode struct {
		targets []string // one name, or several for tuple unpacking
		attr    string   // set ns.attr = ...
		value   expr
		body    []node // block set
		filters []*filterExpr
	}
	macroNode struct {
		name     string
		params   []string
		defaults []expr // aligned to the tail of params
		body     []node
	}
	callBlockNode struct {
		call *callExpr
		body []node
	}
	breakNode    struct{}
	continueNode struct{}
	blockNode    struct{ body []node } // generation / filter-less wrappers
	filterBlock  struct {
		filters []*filterExpr
		body    []node
	}
)

type expr interface{}

type (
	constExpr struct{ val any }
	nameExpr  struct {
		name string
		line int
	}
	listExpr struct {
		items   []expr
		isTuple bool
	}
	dictExpr    struct{ keys, vals []expr }
	getattrExpr struct {
		obj  expr
		attr string
	}
	getitemExpr struct {
		obj, key expr
	}
	sliceExpr struct {
		obj               expr
		start, stop, step expr
	}
	callExpr struct {
		fn     expr
		args   []expr
		kwKeys []string
		kwVals []expr
	}
	filterExpr struct {
		arg    expr // nil in filter blocks / set-block filters
		name   string
		args   []expr
		kwKeys []string
		kwVals []expr
	}
	testExpr struct {
		arg    expr
		name   string
		negate bool
		args   []expr
	}
	binExpr struct {
		op   string
		l, r expr
	}
	unaryExpr struct {
		op string
		x  expr
	}
	compareExpr struct {
		first expr
		ops   []string
		rest  []expr
	}
	condExpr struct {
		cond, yes, no expr
	}
	concatExpr struct{ parts []expr }
)

type parser struct {
	toks []token
	pos  int
}

// Template is a parsed template.
type Template struct {
	body []node
}

// Parse compiles template source.
func Parse(src string) (*Template, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	body, end, err := p.parseBody(nil)
	if err != nil {
		return nil, err
	}
	if end != "" {
		return nil, fmt.Errorf("unexpected {%% %s %%}", end)
	}
	return &Template{body: body}, nil
}

func (p *parser) cur() token  { return p.toks[p.pos] }
func (p *parser) next() token { t := p.toks[p.pos]; p.pos++; return t }

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("line %d: %s", p.cur().line, fmt.Sprintf(format, args...))
}

func (p *parser) isOp(op string) bool {
	t := p.cur()
	return t.kind == tOp && t.val == op
}

func (p *parser) isName(name string) bool {
	t := p.cur()
	return t.kind == tName && t.val == name
}

func (p *parser) expectOp(op string) error {
	if !p.isOp(op) {
		return p.errorf("expected '%s', got %s", op, p.cur())
	}
	p.pos++
	return nil
}

func (p *parser) expectKind(k tokKind, what string) (token, error) {
	if p.cur().kind != k {
		return token{}, p.errorf("expected %s, got %s", what, p.cur())
	}
	return p.next(), nil
}

func (p *parser) expectName() (string, error) {
	t, err := p.expectKind(tName, "a name")
	return t.val, err
}

// parseBody parses nodes until a block tag whose keyword is in ends (returned, with the parser
// positioned after that keyword) or EOF (returned as "").
func (p *parser) parseBody(ends []string) ([]node, string, error) {
	var body []node
	for {
		t := p.cur()
		switch t.kind {
		case tEOF:
			if len(ends) > 0 {
				return nil, "", p.errorf("unexpected end of template, expected {%% %s %%}", ends[0])
			}
			return body, "", nil
		case tText:
			p.pos++
			body = append(body, &textNode{t.val})
		case tVarBegin:
			p.pos++
			e, err := p.parseTuple(true)
			if err != nil {
				return nil, "", err
			}
			if _, err := p.expectKind(tVarEnd, "'}}'"); err != nil {
				return nil, "", err
			}
			body = append(body, &outputNode{e})
		case tBlockBegin:
			p.pos++
			kw, err := p.expectName()
			if err != nil {
				return nil, "", err
			}
			for _, e := range ends {
				if kw == e {
					return body, kw, nil
				}
			}
			n, err := p.parseStatement(kw)
			if err != nil {
				return nil, "", err
			}
			body = append(body, n)
		default:
			return nil, "", p.errorf("unexpected %s", t)
		}
	}
}

func (p *parser) blockEnd() error {
	_, err := p.expectKind(tBlockEnd, "'%}'")
	return err
}

func (p *parser) parseStatement(kw string) (node, error) {
	switch kw {
	case "if":
		return p.parseIf()
	case "for":
		return p.parseFor()
	case "set":
		return p.parseSet()
	case "macro":
		return p.parseMacro()
	case "call":
		return p.parseCallBlock()
	case "break", "continue":
		if err := p.blockEnd(); err != nil {
			return nil, err
		}
		if kw == "break" {
			return &breakNode{}, nil
		}
		return &continueNode{}, nil
	case "generation": // transformers' AssistantTracker extension: renders its body
		if err := p.blockEnd(); err != nil {
			return nil, err
		}
		body, _, err := p.parseBody([]string{"endgeneration"})
		if err != nil {
			return nil, err
		}
		return &blockNode{body}, p.blockEnd()
	case "filter":
		fs, err := p.parseFilterChain()
		if err != nil {
			return nil, err
		}
		if err := p.blockEnd(); err != nil {
			return nil, err
		}
		body, _, err := p.parseBody([]string{"endfilter"})
		if err != nil {
			return nil, err
		}
		return &filterBlock{fs, body}, p.blockEnd()
	}
	return nil, p.errorf("unknown tag %q", kw)
}

func (p *parser) parseIf() (node, error) {
	n := &ifNode{}
	for {
		cond, err := p.parseTuple(true)
		if err != nil {
			return nil, err
		}
		if err := p.blockEnd(); err != nil {
			return nil, err
		}
		body, end, err := p.parseBody([]string{"elif", "else", "endif"})
		if err != nil {
			return nil, err
		}
		n.conds = append(n.conds, cond)
		n.bodies = append(n.bodies, body)
		switch end {
		case "elif":
			continue
		case "else":
			if err := p.blockEnd(); err != nil {
				return nil, err
			}
			n.els, _, err = p.parseBody([]string{"endif"})
			if err != nil {
				return nil, err
			}
		}
		return n, p.blockEnd()
	}
}

func (p *parser) parseTargets() ([]string, error) {
	var names []string
	paren := p.isOp("(")
	if paren {
		p.pos++
	}
	for {
		n, err := p.expectName()
		if err != nil {
			return nil, err
		}
		names = append(names, n)
		if !p.isOp(",") {
			break
		}
		p.pos++
	}
	if paren {
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
	}
	return names, nil
}

func (p *parser) parseFor() (node, error) {
	n := &forNode{}
	var err error
	if n.targets, err = p.parseTargets(); err != nil {
		return nil, err
	}
	if !p.isName("in") {
		return nil, p.errorf("expected 'in', got %s", p.cur())
	}
	p.pos++
	if n.iter, err = p.parseTuple(false); err != nil {
		return nil, err
	}
	if p.isName("if") {
		p.pos++
		if n.filter, err = p.parseExpr(true); err != nil {
			return nil, err
		}
	}
	if p.isName("recursive") {
		return nil, p.errorf("recursive loops are not supported")
	}
	if err := p.blockEnd(); err != nil {
		return nil, err
	}
	body, end, err := p.parseBody([]string{"else", "endfor"})
	if err != nil {
		return nil, err
	}
	n.body = body
	if end == "else" {
		if err := p.blockEnd(); err != nil {
			return nil, err
		}
		if n.els, _, err = p.parseBody([]string{"endfor"}); err != nil {
			return nil, err
		}
	}
	return n, p.blockEnd()
}

func (p *parser) parseSet() (node, error) {
	n := &setNode{}
	first, err := p.expectName()
	if err != nil {
		return nil, err
	}
	if p.isOp(".") {
		p.pos++
		if n.attr, err = p.expectName(); err != nil {
			return nil, err
		}
		n.targets = []string{first}
	} else {
		n.targets = []string{first}
		for p.isOp(",") {
			p.pos++
			nm, err := p.expectName()
			if err != nil {
				return nil, err
			}
			n.targets = append(n.targets, nm)
		}
	}
	if p.isOp("=") {
		p.pos++
		if n.value, err = p.parseTuple(true); err != nil {
			return nil, err
		}
		return n, p.blockEnd()
	}
	if n.attr != "" || len(n.targets) != 1 {
		return nil, p.errorf("block set needs a single name")
	}
	if p.isOp("|") {
		if n.filters, err = p.parseFilterChain(); err != nil {
			return nil, err
		}
	}
	if err := p.blockEnd(); err != nil {
		return nil, err
	}
	if n.body, _, err = p.parseBody([]string{"endset"}); err != nil {
		return nil, err
	}
	return n, p.blockEnd()
}

// parseFilterChain parses "|f(args)|g" (the leading "|" optional) for filter blocks.
func (p *parser) parseFilterChain() ([]*filterExpr, error) {
	var fs []*filterExpr
	for {
		if p.isOp("|") {
			p.pos++
		} else if len(fs) > 0 {
			return fs, nil
		}
		f, err := p.parseFilter(nil)
		if err != nil {
			return nil, err
		}
		fs = append(fs, f)
		if !p.isOp("|") {
			return fs, nil
		}
	}
}

func (p *parser) parseMacro() (node, error) {
	n := &macroNode{}
	var err error
	if n.name, err = p.expectName(); err != nil {
		return nil, err
	}
	if err := p.expectOp("("); err != nil {
		return nil, err
	}
	for !p.isOp(")") {
		name, err := p.expectName()
		if err != nil {
			return nil, err
		}
		n.params = append(n.params, name)
		if p.isOp("=") {
			p.pos++
			d, err := p.parseExpr(true)
			if err != nil {
				return nil, err
			}
			n.defaults = append(n.defaults, d)
		} else if len(n.defaults) > 0 {
			return nil, p.errorf("non-default argument follows default argument")
		}
		if !p.isOp(",") {
			break
		}
		p.pos++
	}
	if err := p.expectOp(")"); err != nil {
		return nil, err
	}
	if err := p.blockEnd(); err != nil {
		return nil, err
	}
	if n.body, _, err = p.parseBody([]string{"endmacro"}); err != nil {
		return nil, err
	}
	return n, p.blockEnd()
}

func (p *parser) parseCallBlock() (node, error) {
	e, err := p.parseExpr(true)
	if err != nil {
		return nil, err
	}
	c, ok := e.(*callExpr)
	if !ok {
		return nil, p.errorf("expected a call in {%% call %%}")
	}
	if err := p.blockEnd(); err != nil {
		return nil, err
	}
	body, _, err := p.parseBody([]string{"endcall"})
	if err != nil {
		return nil, err
	}
	return &callBlockNode{c, body}, p.blockEnd()
}

// parseTuple parses an expression or a bare tuple "a, b".
func (p *parser) parseTuple(withCond bool) (expr, error) {
	first, err := p.parseExpr(withCond)
	if err != nil {
		return nil, err
	}
	if !p.isOp(",") {
		return first, nil
	}
	items := []expr{first}
	for p.isOp(",") {
		p.pos++
		if p.atTupleEnd() {
			break
		}
		e, err := p.parseExpr(withCond)
		if err != nil {
			return nil, err
		}
		items = append(items, e)
	}
	return &listExpr{items: items, isTuple: true}, nil
}

func (p *parser) atTupleEnd() bool {
	t := p.cur()
	return t.kind == tVarEnd || t.kind == tBlockEnd || t.kind == tEOF || (t.kind == tOp && (t.val == ")" || t.val == "]" || t.val == "}")) ||
		(t.kind == tName && (t.val == "in" || t.val == "recursive"))
}

func (p *parser) parseExpr(withCond bool) (expr, error) {
	e, err := p.parseOr()
	if err != nil || !withCond {
		return e, err
	}
	for p.isName("if") {
		p.pos++
		cond, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		var no expr
		if p.isName("else") {
			p.pos++
			if no, err = p.parseExpr(true); err != nil {
				return nil, err
			}
		}
		e = &condExpr{cond: cond, yes: e, no: no}
	}
	return e, nil
}

func (p *parser) parseOr() (expr, error) {
	l, err := p.parseAnd()
	for err == nil && p.isName("or") {
		p.pos++
		var r expr
		r, err = p.parseAnd()
		l = &binExpr{"or", l, r}
	}
	return l, err
}

func (p *parser) parseAnd() (expr, error) {
	l, err := p.parseNot()
	for err == nil && p.isName("and") {
		p.pos++
		var r expr
		r, err = p.parseNot()
		l = &binExpr{"and", l, r}
	}
	return l, err
}

func (p *parser) parseNot() (expr, error) {
	if p.isName("not") {
		p.pos++
		x, err := p.parseNot()
		return &unaryExpr{"not", x}, err
	}
	return p.parseCompare()
}

func (p *parser) parseCompare() (expr, error) {
	first, err := p.parseMath1()
	if err != nil {
		return nil, err
	}
	c := &compareExpr{first: first}
	for {
		var op string
		t := p.cur()
		switch {
		case t.kind == tOp && (t.val == "==" || t.val == "!=" || t.val == "<" || t.val == ">" || t.val == "<=" || t.val == ">="):
			op = t.val
			p.pos++
		case p.isName("in"):
			op = "in"
			p.pos++
		case p.isName("not") && p.toks[p.pos+1].kind == tName && p.toks[p.pos+1].val == "in":
			op = "notin"
			p.pos += 2
		default:
			if len(c.ops) == 0 {
				return first, nil
			}
			return c, nil
		}
		r, err := p.parseMath1()
		if err != nil {
			return nil, err
		}
		c.ops = append(c.ops, op)
		c.rest = append(c.rest, r)
	}
}

func (p *parser) parseMath1() (expr, error) {
	l, err := p.parseConcat()
	for err == nil && (p.isOp("+") || p.isOp("-")) {
		op := p.next().val
		var r expr
		r, err = p.parseConcat()
		l = &binExpr{op, l, r}
	}
	return l, err
}

func (p *parser) parseConcat() (expr, error) {
	l, err := p.parseMath2()
	if err != nil || !p.isOp("~") {
		return l, err
	}
	parts := []expr{l}
	for p.isOp("~") {
		p.pos++
		r, err := p.parseMath2()
		if err != nil {
			return nil, err
		}
		parts = append(parts, r)
	}
	return &concatExpr{parts}, nil
}

func (p *parser) parseMath2() (expr, error) {
	l, err := p.parsePow()
	for err == nil && (p.isOp("*") || p.isOp("/") || p.isOp("//") || p.isOp("%")) {
		op := p.next().val
		var r expr
		r, err = p.parsePow()
		l = &binExpr{op, l, r}
	}
	return l, err
}

func (p *parser) parsePow() (expr, error) {
	l, err := p.parseUnary(true)
	for err == nil && p.isOp("**") {
		p.pos++
		var r expr
		r, err = p.parseUnary(true)
		l = &binExpr{"**", l, r}
	}
	return l, err
}

func (p *parser) parseUnary(withFilter bool) (expr, error) {
	var e expr
	var err error
	if p.isOp("-") || p.isOp("+") {
		op := p.next().val
		x, err := p.parseUnary(false)
		if err != nil {
			return nil, err
		}
		e = &unaryExpr{op, x}
	} else {
		if e, err = p.parsePrimary(); err != nil {
			return nil, err
		}
	}
	if e, err = p.parsePostfix(e); err != nil {
		return nil, err
	}
	if withFilter {
		return p.parseFilterExpr(e)
	}
	return e, nil
}

func (p *parser) parsePrimary() (expr, error) {
	t := p.next()
	switch t.kind {
	case tName:
		switch t.val {
		case "true", "True":
			return &constExpr{true}, nil
		case "false", "False":
			return &constExpr{false}, nil
		case "none", "None":
			return &constExpr{nil}, nil
		}
		return &nameExpr{t.val, t.line}, nil
	case tString:
		s := t.val
		for p.cur().kind == tString { // adjacent literals concatenate
			s += p.next().val
		}
		return &constExpr{s}, nil
	case tInt:
		v, err := strconv.ParseInt(t.val, 10, 64)
		if err != nil {
			return nil, p.errorf("integer %s out of range", t.val)
		}
		return &constExpr{v}, nil
	case tFloat:
		v, err := strconv.ParseFloat(t.val, 64)
		if err != nil {
			return nil, p.errorf("bad float %s", t.val)
		}
		return &constExpr{v}, nil
	case tOp:
		switch t.val {
		case "(":
			if p.isOp(")") {
				p.pos++
				return &listExpr{isTuple: true}, nil
			}
			e, err := p.parseTuple(true)
			if err != nil {
				return nil, err
			}
			return e, p.expectOp(")")
		case "[":
			l := &listExpr{}
			for !p.isOp("]") {
				e, err := p.parseExpr(true)
				if err != nil {
					return nil, err
				}
				l.items = append(l.items, e)
				if !p.isOp(",") {
					break
				}
				p.pos++
			}
			return l, p.expectOp("]")
		case "{":
			d := &dictExpr{}
			for !p.isOp("}") {
				k, err := p.parseExpr(true)
				if err != nil {
					return nil, err
				}
				if err := p.expectOp(":"); err != nil {
					return nil, err
				}
				v, err := p.parseExpr(true)
				if err != nil {
					return nil, err
				}
				d.keys, d.vals = append(d.keys, k), append(d.vals, v)
				if !p.isOp(",") {
					break
				}
				p.pos++
			}
			return d, p.expectOp("}")
		}
	}
	p.pos--
	return nil, p.errorf("unexpected %s", t)
}

func (p *parser) parsePostfix(e expr) (expr, error) {
	for {
		switch {
		case p.isOp("."):
			p.pos++
			t := p.next()
			switch t.kind {
			case tName:
				e = &getattrExpr{e, t.val}
			case tInt:
				v, _ := strconv.ParseInt(t.val, 10, 64)
				e = &getitemExpr{e, &constExpr{v}}
			default:
				p.pos--
				return nil, p.errorf("expected attribute name, got %s", t)
			}
		case p.isOp("["):
			p.pos++
			s, err := p.parseSubscript(e)
			if err != nil {
				return nil, err
			}
			e = s
			if err := p.expectOp("]"); err != nil {
				return nil, err
			}
		case p.isOp("("):
			c, err := p.parseCall(e)
			if err != nil {
				return nil, err
			}
			e = c
		default:
			return e, nil
		}
	}
}

func (p *parser) parseSubscript(obj expr) (expr, error) {
	var parts [3]expr
	idx := 0
	isSlice := false
	for {
		if p.isOp(":") {
			isSlice = true
			idx++
			if idx > 2 {
				return nil, p.errorf("too many ':' in slice")
			}
			p.pos++
			continue
		}
		if p.isOp("]") {
			break
		}
		if parts[idx] != nil {
			return nil, p.errorf("unexpected %s in subscript", p.cur())
		}
		e, err := p.parseExpr(true)
		if err != nil {
			return nil, err
		}
		parts[idx] = e
	}
	if !isSlice {
		if parts[0] == nil {
			return nil, p.errorf("empty subscript")
		}
		return &getitemExpr{obj, parts[0]}, nil
	}
	return &sliceExpr{obj, parts[0], parts[1], parts[2]}, nil
}

func (p *parser) parseArgs() (args []expr, kwKeys []string, kwVals []expr, err error) {
	if err = p.expectOp("("); err != nil {
		return
	}
	for !p.isOp(")") {
		if p.cur().kind == tName && p.toks[p.pos+1].kind == tOp && p.toks[p.pos+1].val == "=" {
			k := p.next().val
			p.pos++
			v, err := p.parseExpr(true)
			if err != nil {
				return nil, nil, nil, err
			}
			kwKeys, kwVals = append(kwKeys, k), append(kwVals, v)
		} else {
			if len(kwKeys) > 0 {
				return nil, nil, nil, p.errorf("positional argument follows keyword argument")
			}
			a, err := p.parseExpr(true)
			if err != nil {
				return nil, nil, nil, err
			}
			args = append(args, a)
		}
		if !p.isOp(",") {
			break
		}
		p.pos++
	}
	err = p.expectOp(")")
	return
}

func (p *parser) parseCall(fn expr) (*callExpr, error) {
	args, kk, kv, err := p.parseArgs()
	if err != nil {
		return nil, err
	}
	return &callExpr{fn, args, kk, kv}, nil
}

func (p *parser) parseFilter(arg expr) (*filterExpr, error) {
	name, err := p.expectName()
	if err != nil {
		return nil, err
	}
	for p.isOp(".") {
		p.pos++
		n, err := p.expectName()
		if err != nil {
			return nil, err
		}
		name += "." + n
	}
	f := &filterExpr{arg: arg, name: name}
	if p.isOp("(") {
		if f.args, f.kwKeys, f.kwVals, err = p.parseArgs(); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func (p *parser) parseFilterExpr(e expr) (expr, error) {
	for {
		switch {
		case p.isOp("|"):
			p.pos++
			f, err := p.parseFilter(e)
			if err != nil {
				return nil, err
			}
			e = f
		case p.isName("is"):
			p.pos++
			t := &testExpr{arg: e}
			if p.isName("not") {
				p.pos++
				t.negate = true
			}
			name, err := p.expectName()
			if err != nil {
				return nil, err
			}
			for p.isOp(".") {
				p.pos++
				n, err := p.expectName()
				if err != nil {
					return nil, err
				}
				name += "." + n
			}
			t.name = name
			c := p.cur()
			switch {
			case p.isOp("("):
				args, _, _, err := p.parseArgs()
				if err != nil {
					return nil, err
				}
				t.args = args
			case c.kind == tString || c.kind == tInt || c.kind == tFloat || (c.kind == tOp && (c.val == "[" || c.val == "{")) ||
				(c.kind == tName && c.val != "else" && c.val != "or" && c.val != "and" && c.val != "is" && c.val != "if" && c.val != "in" && c.val != "not"):
				a, err := p.parsePrimary()
				if err != nil {
					return nil, err
				}
				if a, err = p.parsePostfix(a); err != nil {
					return nil, err
				}
				t.args = []expr{a}
			}
			e = t
		case p.isOp("("):
			c, err := p.parseCall(e)
			if err != nil {
				return nil, err
			}
			e = c
		default:
			return e, nil
		}
	}
}
