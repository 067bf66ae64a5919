package jinja

import (
	"slices"
	"strconv"
)

// Expression grammar, lowest precedence first, as Jinja2's parser.py:
// conditional, or, and, not, comparison, + -, ~, * / // %, **, unary, then
// primaries with postfix subscripts, calls and filters.

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

// binary parses operand (op operand)* for the given operators (names such
// as "and" or symbols such as "+"), nesting to the left: a - b - c is
// (a - b) - c.
func (p *parser) binary(operand func() (expr, error), ops ...string) (expr, error) {
	l, err := operand()
	for err == nil {
		t := p.cur()
		if (t.kind != tOp && t.kind != tName) || !slices.Contains(ops, t.val) {
			break
		}
		p.pos++
		var r expr
		r, err = operand()
		l = &binExpr{t.val, l, r}
	}
	return l, err
}

func (p *parser) parseOr() (expr, error)  { return p.binary(p.parseAnd, "or") }
func (p *parser) parseAnd() (expr, error) { return p.binary(p.parseNot, "and") }

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

func (p *parser) parseMath1() (expr, error) { return p.binary(p.parseConcat, "+", "-") }

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

func (p *parser) parseMath2() (expr, error) { return p.binary(p.parsePow, "*", "/", "//", "%") }

func (p *parser) parsePow() (expr, error) {
	return p.binary(func() (expr, error) { return p.parseUnary(true) }, "**")
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

// parseDottedName parses a filter or test name, which may be dotted.
func (p *parser) parseDottedName() (string, error) {
	name, err := p.expectName()
	if err != nil {
		return "", err
	}
	for p.isOp(".") {
		p.pos++
		n, err := p.expectName()
		if err != nil {
			return "", err
		}
		name += "." + n
	}
	return name, nil
}

func (p *parser) parseFilter(arg expr) (*filterExpr, error) {
	name, err := p.parseDottedName()
	if err != nil {
		return nil, err
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
			name, err := p.parseDottedName()
			if err != nil {
				return nil, err
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
