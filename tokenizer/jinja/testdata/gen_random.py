#!/usr/bin/env python3
"""Regenerates random_golden.json: random templates (whitespace control, nesting, loops, sets)
and random expressions, rendered by Python Jinja2 in transformers' chat-template environment
(see gen_golden.py). Dev-only; Go tests read the JSON. Deterministic (fixed seeds).

Left out on purpose, as not emulated: object reprs with addresses (generators, iterators),
complex results of ** (pow is in golden.json), and subscripts or unary minus on constant sub-expressions (Jinja's
constant folding turns some of those errors into Undefined, or changes ** precedence).
Usage: python3 gen_random.py > random_golden.json"""
import copy, json, random, sys
import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.ext import loopcontrols

def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
env.filters["tojson"] = tojson
CTX = {"x": 1, "n": 3, "s": " Ab c ", "l": [3, 1, 2], "d": {"k": "v", "j": [1, None]}, "f": -1.5, "e": ""}

# --- statements and whitespace control ---
WS = [" ", "  ", "\n", "\t", " \n", "\n  ", "\n\n", "", "", "x", "ab ", " y\n", "\u3000", "\x1c"]
SEXPR = ["x", "n", "s", "l[0]", "d.k", "d['k'] ~ n", "s | trim", "l | length", "n + 1", "s[1:]", "x is defined",
         "'q' if n else 'r'", "l | join(',')", "d | tojson", "s.strip()", "d | items | list | length", "u", "none", "1.5", "n // 2"]
COND = ["n", "not n", "x is defined", "u is defined", "s == 'a b'", "n > 1", "'k' in d", "l", "u"]

def ws(r): return "".join(r.choice(WS) for _ in range(r.randint(0, 3)))
def mod(r): return r.choice(["", "", "-", "+"])
def vmod(r): return r.choice(["", "", "-"])

def block(r, depth):
    parts = []
    for _ in range(r.randint(1, 3)):
        k = r.random()
        if k < 0.3 or depth > 2:
            parts.append(ws(r) + "{{" + vmod(r) + " " + r.choice(SEXPR) + " " + vmod(r) + "}}" + ws(r))
        elif k < 0.5:
            els = ("{%" + mod(r) + " else " + mod(r) + "%}" + block(r, depth + 1)) if r.random() < 0.5 else ""
            parts.append(ws(r) + "{%" + mod(r) + " if " + r.choice(COND) + " " + mod(r) + "%}" + block(r, depth + 1) + els +
                         "{%" + mod(r) + " endif " + mod(r) + "%}" + ws(r))
        elif k < 0.7:
            parts.append(ws(r) + "{%" + mod(r) + " for i in " + r.choice(["l", "s", "d", "range(n)", "u"]) + " " + mod(r) + "%}" +
                         ws(r) + "{{ i }}{{ loop.index }}" + block(r, depth + 1) + "{%" + mod(r) + " endfor " + mod(r) + "%}" + ws(r))
        elif k < 0.8:
            parts.append(ws(r) + "{#" + mod(r) + " c " + mod(r) + "#}" + ws(r))
        elif k < 0.9:
            parts.append(ws(r) + "{%" + mod(r) + " set z = " + r.choice(SEXPR) + " " + mod(r) + "%}" + ws(r) + "{{ z }}")
        else:
            parts.append(ws(r))
    return "".join(parts)

# --- expressions ---
ATOMS = ["'%s-%d'", "'%(k)s!'", "'%5.2f|%-4s|%x|%r'", "'100%%'", "0", "1", "7", "2.5", "0.1", "1e3", "'a'", "'héllo wörld'", "''", "' x '", "'3'", "'4.5'", "[]", "[1, 2, 3]",
         "['b', 'a', 'B']", "[1, 'a', none]", "{}", "{'k': 1, 'j': [2]}", "none", "true", "false", "(1, 2)", "('x',)", "()"]
VARS = ["u", "n", "s", "l", "d", "f", "e"]
BIN = ["+", "-", "*", "/", "//", "%", "~", "==", "!=", "<", ">", "<=", ">=", "in", "not in", "and", "or"]
FILT = ["length", "trim", "upper", "lower", "title", "capitalize", "first", "last", "join(',')", "join", "list", "sort", "unique | list",
        "tojson", "string", "int", "float", "abs", "round", "round(1)", "default('D')", "default('D', true)", "items | list", "replace('a', 'b')",
        "select('odd') | list", "reject('none') | list", "map('string') | list", "map('upper') | join", "tojson(indent=2)", "tojson(sort_keys=true)",
        "count", "wordcount", "sum", "min", "max", "select('defined') | list", "reject('string') | list", "selectattr('k') | list",
        "batch(2) | list", "center(9)", "truncate(5)", "e", "reverse | list", "dictsort | length", "dictsort", "items | list"]
TESTS = ["defined", "undefined", "none", "string", "number", "integer", "float", "mapping", "iterable", "sequence", "odd", "even",
         "boolean", "true", "false", "lower", "upper", "divisibleby 2", "eq 1", "in [1, 'a']", "callable", "sameas none"]

def expr(r, d):
    k = r.random()
    if d <= 0 or k < 0.25:
        return r.choice(ATOMS + VARS)
    if k < 0.5:
        return "(" + expr(r, d - 1) + " " + r.choice(BIN) + " " + expr(r, d - 1) + ")"
    if k < 0.65:
        return expr(r, d - 1) + " | " + r.choice(FILT)
    if k < 0.75:
        return "(" + expr(r, d - 1) + " is " + r.choice(["", "not "]) + r.choice(TESTS) + ")"
    if k < 0.82:
        return "(not " + expr(r, d - 1) + ")"
    if k < 0.88:
        return "(" + expr(r, d - 1) + " if " + expr(r, d - 1) + " else " + expr(r, d - 1) + ")"
    if k < 0.94:
        return r.choice(VARS) + r.choice(["[0]", "[-1]", "[1:]", "[::-1]", "['k']", ".k", "[:2]", "[1]"])
    return "(-" + r.choice(VARS) + ")"

def render(t):
    try:  # a fresh copy: some filters mutate lists in place (indent's += on a list)
        return {"output": env.from_string(t).render(**copy.deepcopy(CTX))}
    except Exception as ex:  # the error class is the golden fact
        return {"error": type(ex).__name__ + ": " + str(ex)}

cases = []
rs = random.Random(11)
while len([c for c in cases if c["kind"] == "statements"]) < 400:
    t = block(rs, 0)
    c = {"kind": "statements", "template": t, **render(t)}
    cases.append(c)
re_ = random.Random(12)
n_expr = 0
while n_expr < 800:
    t = "{{ " + expr(re_, 3) + " }}"
    c = {"kind": "expression", "template": t, **render(t)}
    out = c.get("output", "")
    if " at 0x" in out:
        continue
    cases.append(c)
    n_expr += 1
json.dump({"meta": {"generated_by": "gen_random.py", "jinja2": jinja2.__version__}, "context": CTX, "cases": cases},
          sys.stdout, ensure_ascii=False, indent=0)
sys.stdout.write("\n")
