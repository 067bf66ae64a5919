#!/usr/bin/env python3
"""Regenerates golden.json: each case rendered by Python Jinja2 in the environment transformers
builds for chat templates (transformers utils/chat_template_utils.py _compile_jinja_template):
ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols]),
tojson = json.dumps(ensure_ascii=False, ...), raise_exception, strftime_now (fixed clock here).
Dev-only: Go tests read golden.json and never run this script.
Usage: python3 gen_golden.py > golden.json   (Debian python3-jinja2; recorded version in meta)"""
import json, sys, datetime
import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.ext import loopcontrols

NOW = datetime.datetime(2026, 11, 26, 9, 5, 7)

def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)

def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

def strftime_now(fmt):
    return NOW.strftime(fmt)

env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = strftime_now

# A one-line template in the style of the Llama 3.0 one (loop.index0, filter precedence in
# "+ content | trim +"), written for these tests.
SIMPLE = "{% set turns = messages %}{% for m in turns %}{% set piece = '<' + m['role'] + '>\\n'+ m['content'] | trim + '</>' %}{% if loop.index0 == 0 %}{% set piece = bos_token + piece %}{% endif %}{{ piece }}{% endfor %}{% if add_generation_prompt %}{{ '<assistant>\\n' }}{% endif %}"

TOOLS_TEMPLATE = open(__file__.rsplit('/', 1)[0] + '/tools_template.jinja').read()

MSGS = [{"role": "system", "content": " Be brief. "}, {"role": "user", "content": "Hi <b>&</b> 'q'"},
        {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "Weather?"}]
TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Wetter für \"Städte\"",
          "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "n": {"type": "integer", "default": 1.5e-7}},
                         "required": ["city"]}}}]
CALL = [{"role": "user", "content": "Oslo?"},
        {"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "brave_search", "arguments": {"query": "oslo weather", "n": "3"}}}]},
        {"role": "ipython", "content": {"temp": -3, "ok": True, "list": [1, 2.5, None]}}]

cases = [
    # Real-world templates.
    ("simple_oneline", SIMPLE, {"messages": MSGS, "bos_token": "<s>", "add_generation_prompt": True}),
    ("tools_plain", TOOLS_TEMPLATE, {"messages": MSGS, "bos_token": "<B>", "add_generation_prompt": True, "tools": None}),
    ("tools_in_first_user", TOOLS_TEMPLATE, {"messages": MSGS[1:], "bos_token": "<B>", "tools": TOOLS, "add_generation_prompt": False}),
    ("tools_in_system", TOOLS_TEMPLATE, {"messages": MSGS, "bos_token": "<B>", "tools": TOOLS, "tools_first": False}),
    ("tools_builtin_call", TOOLS_TEMPLATE, {"messages": CALL, "bos_token": "<B>", "builtin": ["brave_search", "calculator", "wolfram_alpha"], "tools": None}),
    ("tools_custom_date", TOOLS_TEMPLATE, {"messages": MSGS[1:2], "bos_token": "<B>", "today": "01 Jan 2025", "tools": None}),
    ("tools_no_user_turn", TOOLS_TEMPLATE, {"messages": MSGS[:1], "bos_token": "<B>", "tools": TOOLS}),
    # Whitespace control.
    ("ws_trim_lstrip", "a\n    {% if true %}\n    b\n    {% endif %}\nc\n", {}),
    ("ws_minus", "a  \n  {%- if true -%}  \n  b  \n  {%- endif -%}  \n  c", {}),
    ("ws_plus", "a\n    {%+ if true +%}\nb\n  {%+ endif %}\nc", {}),
    ("ws_comment", "x\n  {# c #}\ny {#- c -#} z\n{# c #}\nw", {}),
    ("ws_var_no_trim", "a {{ 1 }}\n  {{ 2 }}\nb", {}),
    ("ws_var_minus", "a \n {{- 1 -}} \n b", {}),
    ("ws_unicode_rstrip", "a\u3000\u2003{{- 'x' }}\x1c{{- 'y' }}", {}),
    ("ws_trailing_newline", "abc\n", {}),
    ("ws_two_trailing_newlines", "abc\n\n", {}),
    ("ws_text_mid_line_block", "ab   {% if true %}x{% endif %}\n", {}),
    ("ws_first_line_indent", "   {% if true %}x{% endif %}", {}),
    ("raw_block", "{% raw %}{{ not evaluated }} {% if %}{% endraw %}!", {}),
    # Printing values.
    ("print_types", "{{ none }}|{{ true }}|{{ 1 }}|{{ 1.0 }}|{{ 1e20 }}|{{ 0.0001 }}|{{ 1.5e-7 }}|{{ [1, 'a', none] }}|{{ {'k': [true]} }}|{{ x }}|{{ (1, 2) }}|{{ ('a',) }}|{{ () }}", {}),
    ("print_quotes", "{{ ['it\\'s', \"a\\\"b\", 'x\\ny', 'tab\\t', '\u00e9'] }}", {}),
    ("print_context_values", "{{ v }}", {"v": {"a": 1, "b": [1.25, -0.0, 100000000000000000000], "c": None, "d": "s"}}),
    ("string_escapes", "{{ 'a\\tb\\\\c\\x41\\u00e9\\d' }}", {}),
    # Python semantics.
    ("iterate_string", "{% for c in 'héllo' %}[{{ c }}{{ c['type'] }}]{% endfor %}", {}),
    ("string_content_image_check", "{% set ns = namespace(x=false) %}{% for m in messages %}{% for c in m['content'] %}{% if c['type'] == 'image' %}{% set ns.x = true %}{% endif %}{% endfor %}{% endfor %}{{ ns.x }}", {"messages": [{"content": "image"}, {"content": [{"type": "text"}]}]}),
    ("string_content_image_check_true", "{% set ns = namespace(x=false) %}{% for m in messages %}{% for c in m['content'] %}{% if c['type'] == 'image' %}{% set ns.x = true %}{% endif %}{% endfor %}{% endfor %}{{ ns.x }}", {"messages": [{"content": "t"}, {"content": [{"type": "image"}]}]}),
    ("equality", "{{ 1 == 1.0 }} {{ true == 1 }} {{ 'a' == 'a' }} {{ [1,2] == [1,2] }} {{ none == none }} {{ x == y }} {{ x == 0 }} {{ {'a':1} == {'a':1.0} }}", {}),
    ("arith", "{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % -3 }} {{ 7 / 2 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 1 + 2.5 }} {{ 'ab' * 3 }} {{ [1] + [2] }} {{ -3 }} {{ 10 - 2 - 3 }} {{ 7.5 // 2 }} {{ -7.5 % 2 }}", {}),
    ("concat_tilde", "{{ 'a' ~ 1 ~ none ~ x ~ [1] }}", {}),
    ("compare_chain", "{{ 1 < 2 < 3 }} {{ 1 < 3 < 2 }} {{ 'a' < 'b' }} {{ 2 >= 2.0 }} {{ [1, 2] < [1, 3] }}", {}),
    ("in_operator", "{{ 'a' in 'cat' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 'z' not in 'abc' }} {{ 'x' in y }}", {}),
    ("logic", "{{ 0 or 'b' }} {{ 'a' and 0 }} {{ not [] }} {{ none or none }} {{ '' or [] }} {{ 1 if x else 2 }} {{ 'y' if 0 }}|", {}),
    ("precedence", "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ -2 ** 2 }} {{ 'a' + 'b' | upper }} {{ not 1 == 2 }} {{ 2 * 3 | string }}", {}),
    ("slicing", "{{ s[1:3] }} {{ s[::-1] }} {{ s[-2:] }} {{ l[1:] }} {{ l[:-1] }} {{ l[::2] }} {{ l[5:] }} {{ s[-1] }} {{ l[-1] }} {{ s[10:20] }} {{ l[3:0:-1] }}", {"s": "héllo", "l": [1, 2, 3, 4]}),
    ("getattr_getitem", "{{ d.a }} {{ d['a'] }} {{ d.missing }}|{{ l.0 }} {{ l[1] }} {{ l[9] }}| {{ d.items is callable }}", {"d": {"a": 1}, "l": [5, 6]}),
    ("undefined_ops", "{{ x }}|{{ x is defined }}|{{ x | length }}|{% for i in x %}no{% else %}empty{% endfor %}|{{ x is iterable }}|{{ x | default('dflt') }}", {}),
    # Loops.
    ("loop_vars", "{% for x in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.previtem }}{{ loop.nextitem }}{{ loop.cycle('x', 'y') }};{% endfor %}", {}),
    ("loop_else_filter", "{% for x in [1,2,3,4] if x is even %}{{ x }}{{ loop.length }}{% else %}none{% endfor %}{% for x in [] %}a{% else %}b{% endfor %}", {}),
    ("loop_break_continue", "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x > 4 %}{% break %}{% endif %}{{ x }}{% endfor %}", {}),
    ("loop_unpack", "{% for k, v in d | items %}{{ k }}={{ v }};{% endfor %}{% for k, v in d.items() %}{{ k }}{% endfor %}{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }}{% endfor %}", {"d": {"z": 1, "a": 2}}),
    ("loop_dict_keys", "{% for k in d %}{{ k }}{% endfor %}", {"d": {"b": 1, "a": 2}}),
    ("scope_set_in_loop", "{% set x = 1 %}{% for i in [1, 2] %}{% set x = x + i %}{{ x }}{% endfor %}{{ x }}", {}),
    ("scope_set_in_if", "{% if true %}{% set y = 5 %}{% endif %}{{ y }}", {}),
    ("nested_loops", "{% for a in [1, 2] %}{% for b in 'xy' %}{{ loop.index }}{{ a }}{{ b }} {% endfor %}{{ loop.index }}|{% endfor %}", {}),
    ("namespace", "{% set ns = namespace(n=0, s='') %}{% for i in range(4) %}{% set ns.n = ns.n + i %}{% set ns.s = ns.s ~ i %}{% endfor %}{{ ns.n }} {{ ns.s }}", {}),
    ("set_tuple_and_block", "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set blk %}x{{ a }}y{% endset %}[{{ blk }}]{% set up | upper %}abc{% endset %}{{ up }}", {}),
    # Filters.
    ("filters_str", "{{ '  x y  ' | trim }}|{{ 'xxaxx' | trim('x') }}|{{ 'hello WORLD' | title }}|{{ 'hello WORLD' | capitalize }}|{{ 'a-b-a' | replace('a', 'c') }}|{{ 'AbC' | lower }}{{ 'AbC' | upper }}|{{ 'abc' | reverse }}|{{ 'one two  three' | wordcount }}", {}),
    ("filters_list", "{{ [3, 1, 2] | sort }}|{{ ['b', 'A', 'c'] | sort }}|{{ [1, 2, 2, 1] | unique | list }}|{{ [1, 2] | first }}{{ [1, 2] | last }}|{{ [1, 2, 3] | join(', ') }}|{{ [1, 2] | reverse | list }}|{{ 'abc' | list }}|{{ [1, 2, 3] | length }}|{{ {'a': 1} | length }}", {}),
    ("filters_select", "{{ [1, 2, 3, 4] | select('odd') | list }}|{{ [1, 2, 3, 4] | reject('equalto', 2) | list }}|{{ users | selectattr('admin') | map(attribute='name') | join(',') }}|{{ users | rejectattr('name', 'equalto', 'b') | map(attribute='name') | list }}|{{ ['a', 'b'] | map('upper') | list }}", {"users": [{"name": "a", "admin": True}, {"name": "b", "admin": False}]}),
    ("filters_num", "{{ '42' | int }} {{ '4.7' | int }} {{ 'x' | int }} {{ 3.7 | int }} {{ '2.5' | float }} {{ -3 | abs }} {{ 2.675 | round(2) }} {{ 2.5 | round }} {{ 3.14159 | round(2, 'floor') }}", {}),
    ("filters_default", "{{ x | default('d') }} {{ '' | default('d') }} {{ '' | default('d', true) }} {{ none | default('d') }} {{ x | d('dd') }}", {}),
    ("filters_dict", "{{ d | dictsort }}|{{ d | items | list }}|{{ d | tojson }}|{{ d | tojson(indent=2) }}|{{ d | tojson(sort_keys=true) }}", {"d": {"b": [1, {"x": None}], "a": "é\n\"<>&'\u2028"}}),
    ("tojson_variants", "{{ v | tojson }}|{{ v | tojson(indent=4) }}|{{ v | tojson(separators=(',', ':')) }}|{{ v | tojson(ensure_ascii=true) }}|{{ [] | tojson(indent=2) }}|{{ {} | tojson(indent=2) }}|{{ 'x' | tojson }}|{{ 1.0 | tojson }}|{{ none | tojson }}", {"v": {"k": ["ü😀", 1, 2.50, True, {}, [], "\x01\x7f"]}}),
    ("indent_filter", "{{ 'a\\nb\\n\\nc' | indent(2) }}|{{ 'a\\nb' | indent(2, true) }}", {}),
    ("string_filter_join_attr", "{{ [{'n': 1}, {'n': 2}] | join('-', attribute='n') }}", {}),
    # Tests.
    ("tests", "{{ 1 is number }}{{ true is number }}{{ 1 is integer }}{{ true is integer }}{{ 1.0 is float }}{{ 'a' is string }}{{ {} is mapping }}{{ [] is mapping }}{{ 'a' is iterable }}{{ 1 is iterable }}{{ none is none }}{{ x is none }}{{ 2 is divisibleby 2 }}{{ 3 is odd }}{{ 'ab' is lower }}{{ 'AB' is upper }}{{ true is boolean }}{{ 1 is sameas 1 }}{{ 1 is equalto 1 }}{{ 2 is gt 1 }}{{ 'a' is in 'abc' }}{{ range is callable }}{{ x is not defined }}{{ [] is sequence }}", {}),
    # Methods.
    ("str_methods", "{{ '  ab  '.strip() }}|{{ 'xxabxx'.strip('x') }}|{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'a b c'.split(' ', 1) }}|{{ 'abc'.startswith('ab') }}{{ 'abc'.endswith(('x', 'c')) }}|{{ 'Ab'.upper() }}{{ 'Ab'.lower() }}|{{ 'a-b'.replace('-', '+') }}|{{ 'hello'.find('l') }}{{ 'hello'.count('l') }}|{{ ', '.join(['a', 'b']) }}|{{ 'ab cd'.title() }}", {}),
    ("dict_methods", "{{ d.get('a') }} {{ d.get('z') }} {{ d.get('z', 5) }} {{ d.keys() | list }} {{ d.values() | list }} {{ d.items() | list }}", {"d": {"a": 1, "b": 2}}),
    # Macros and globals.
    ("macro", "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('A') }} {{ greet('B', '?') }} {{ greet(name='C') }}", {}),
    ("macro_caller", "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('b') %}x{{ 1 + 1 }}{% endcall %}", {}),
    ("globals", "{{ range(3) | list }} {{ range(1, 7, 2) | list }} {{ dict(a=1, b=2) }} {{ strftime_now('%d %b %Y|%-d %B %y %H:%M:%S %a %A %j %p %I %m %%') }}", {}),
    ("dict_list_literals", "{{ {'a': 1, 'b': [1, 2], 3: 'x'} }} {{ [1, [2, [3]]] }} {{ ('a',) }} {{ (1, 2) + (3,) }} {{ (1, 2) == [1, 2] }} {{ (1, 2)[1:] }} {{ ('a', 'b') * 2 }} {{ (1, 2) | tojson }}", {}),
    ("filter_block", "{% filter upper %}abc {{ 'd' }}{% endfilter %}", {}),
    ("generation_like_if", "{% for m in messages %}{% if m.role == 'assistant' %}[{{ m.content }}]{% else %}{{ m.content }}{% endif %}{% endfor %}", {"messages": MSGS}),
    ("generators", "{% if [] | select('odd') %}truthy{% endif %}|{{ messages | selectattr('role', 'equalto', 'user') | list | length }}|{{ (none | map('upper') | list) }}|{% set g = [1, 2] | reverse %}{{ g | list }}{{ g | list }}|{{ [1, 2] | unique is iterable }}", {"messages": MSGS}),
    ("more_filters", "{{ [1, 2, 3] | sum }} {{ [1.5, 2] | sum(start=1) }} {{ [3, 1] | min }} {{ ['b', 'A'] | max }} {{ [1, 2, 3] | batch(2) | list }} {{ [1, 2, 3] | batch(2, 0) | list }}|{{ 'ab' | center(7) }}|{{ 'hello world foo' | truncate(9) }}|{{ 'hello world foo' | truncate(9, true) }}|{{ 'x' | attr('upper') is callable }}|{{ 2.0 | round }} {{ 3 | round }} {{ 2.5 | round(0, 'ceil') }}|{{ x is callable }}|{{ '-a(b c[d' | title }}", {}),
    ("percent_format", "{{ '%s-%d|%05.1f|%-3s|%+d|%x|%X|%o|%e|%g|%r|%%|%c' % ('a', 7, 3.14159, 'b', 5, 255, 255, 8, 12345.678, 0.0001, 'q', 65) }}|{{ '%(k)s=%(n)d' % {'k': 'key', 'n': 3} }}|{{ '%s' % [1] }}|{{ '%s and %s' | format('x', 2) }}|{{ '%(a)s' | format(a=1) }}", {}),
    ("err_percent_args", "{{ '%s %s' % ('a',) }}", {}),
    # Errors.
    ("err_raise", "a{{ raise_exception('boom here') }}", {}),
    ("err_undefined_attr", "{{ x.y }}", {}),
    ("err_undefined_item_chain", "{{ messages[0]['role'] }}", {"messages": []}),
    ("err_add_str_int", "{{ 'a' + 1 }}", {}),
    ("err_add_undefined", "{{ 'a' + x }}", {}),
    ("err_iter_none", "{% for x in none %}{% endfor %}", {}),
    ("err_tojson_undefined", "{{ x | tojson }}", {}),
    ("err_unknown_filter", "{{ 1 | nosuchfilter }}", {}),
    ("err_syntax_unclosed", "{% if true %}x", {}),
    ("err_syntax_bad_expr", "{{ 1 + }}", {}),
]

out = {"meta": {"generated_by": "gen_golden.py", "jinja2": jinja2.__version__, "now": NOW.isoformat()}, "cases": []}
for name, tmpl, ctx in cases:
    case = {"name": name, "template": tmpl, "context": ctx}
    try:
        case["output"] = env.from_string(tmpl).render(**ctx)
    except Exception as e:  # noqa: BLE001 - the error class is the golden fact
        case["error"] = type(e).__name__ + ": " + str(e)
    out["cases"].append(case)
json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
sys.stdout.write("\n")
