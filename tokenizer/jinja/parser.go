package jinja

import (
	"fmt"
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
