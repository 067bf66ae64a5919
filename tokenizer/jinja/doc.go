// Package jinja renders Jinja2 templates with Python Jinja2's semantics for the subset that Hugging
// Face chat templates use (Llama 3.x and similar): statements if/elif/else, for (with loop
// variable, else, filter condition, tuple unpacking), set (incl. namespace attributes and block
// set), macro/call, break/continue, raw, and transformers' generation block; the full expression
// grammar with Jinja's precedence; the common filters, tests and str/dict methods.
//
// Values behave like Python's: strings iterate by code point, dicts keep insertion order, 1 == 1.0
// == True, missing items and attributes give an Undefined that prints as "" and is iterable but
// raises on further attribute access (jinja2.Undefined). The environment is the one transformers
// builds for chat templates: trim_blocks=True, lstrip_blocks=True, no autoescape, loop controls,
// and a tojson filter that is json.dumps(ensure_ascii=False) rather than Jinja's HTML-safe one.
//
// Files follow Jinja2's own modules: lexer.go, nodes.go and parser.go/parser_expr.go (lexer.py,
// nodes.py, parser.py); eval.go/eval_expr.go and ops.go render (the compiler's and runtime.py's
// job); filters*.go hold the filter table by kind and tests.go the test table (filters.py,
// tests.py); globals.go and methods.go are the default globals and the str/dict methods the
// sandbox allows; value.go and json.go are the Python value model and json.loads/json.dumps.
package jinja
