package jinja

import (
	"strings"
	"testing"
)

// FuzzRender parses and renders arbitrary templates: errors are fine, panics and runaway
// execution are not (the render limits bound loops, repetition and recursion).
func FuzzRender(f *testing.F) {
	for _, s := range []string{
		"{{ x }}", "{% for a in l %}{{ loop.index }}{% endfor %}", "{%- if x -%} a {%+ else %} b {% endif %}",
		"{% set ns = namespace(a=1) %}{% set ns.a = ns.a + 1 %}{{ ns.a }}", "{{ d | tojson(indent=2) }}",
		"{% macro m(a, b=2) %}{{ a ~ b }}{% endmacro %}{{ m(1) }}", "{{ 'ab'[::-1] ~ l[1:] | string }}",
		"{% raw %}{{ x }}{% endraw %}", "{{ 2 ** 62 }}{{ 'a' * 3 }}", "{# c #}{{ s.strip().split(' ') }}",
		"{% for i in range(3) %}{% if i == 1 %}{% break %}{% endif %}{{ i }}{% endfor %}",
		"{{ '%5.2f|%-4s|%(k)s|%c|%%' % (1.5, 'a') }}{{ (1, 2) + (3,) }}{{ '%s' | format(x) }}",
	} {
		f.Add(s)
	}
	defer func(n int) { maxSteps = n }(maxSteps)
	maxSteps = 100_000 // keep each input fast
	f.Fuzz(func(t *testing.T, src string) {
		tmpl, err := Parse(src)
		if err != nil {
			return
		}
		ctx, _ := FromJSON([]byte(`{"x": 1, "s": " a b ", "l": [1, "b", null], "d": {"k": [1.5, true]}}`))
		vars := map[string]any{}
		for i, k := range ctx.(*Dict).keys {
			vars[k.(string)] = ctx.(*Dict).vals[i]
		}
		out, err := tmpl.Render(vars)
		if err == nil && len(out) > maxOutput+maxRepeatLen*2 {
			t.Fatalf("output of %d bytes", len(out))
		}
	})
}

func TestRenderLimits(t *testing.T) {
	defer func(n int) { maxSteps = n }(maxSteps)
	maxSteps = 100_000
	for _, c := range []struct{ src, want string }{
		{"{% for i in range(100000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}", "loop iterations"},
		{"{{ 'abc' * 100000000 }}", "repetition"},
		{"{{ [1, 2] * 100000000 }}", "repetition"},
		{"{{ 3 ** 100 }}", "exceeds 64 bits"},
		{"{{ '%.999999999f' % 1 }}", "precision too big"},
		{"{{ '%999999999s' % 1 }}", "width too big"},
		{"{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "recursion"},
	} {
		_, err := render(c.src, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want %q", c.src, err, c.want)
		}
	}
	if out, err := render("{{ 2 ** 62 }} {{ (-3) ** 3 }} {{ 7 ** 0 }}", nil); err != nil || out != "4611686018427387904 -27 1" {
		t.Errorf("intPow: %q, %v", out, err)
	}
}
