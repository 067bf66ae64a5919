package jinja

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
