package jinja

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

type goldenCase struct {
	Name     string          `json:"name"`
	Template string          `json:"template"`
	Context  json.RawMessage `json:"context"`
	Output   *string         `json:"output"`
	Error    string          `json:"error"`
}

// TestGolden renders testdata/golden.json (made by Python Jinja2 with transformers' chat
// environment, see testdata/gen_golden.py) and requires identical output, or an error where
// Jinja2 raised one.
func TestGolden(t *testing.T) {
	data, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Meta struct {
			Now string `json:"now"`
		} `json:"meta"`
		Cases []goldenCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Cases) < 60 {
		t.Fatalf("only %d cases in golden.json", len(g.Cases))
	}
	now, err := time.Parse("2006-01-02T15:04:05", g.Meta.Now)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range g.Cases {
		t.Run(c.Name, func(t *testing.T) {
			ctx, err := FromJSON(c.Context)
			if err != nil {
				t.Fatal(err)
			}
			vars := map[string]any{}
			d := ctx.(*Dict)
			for i, k := range d.keys {
				vars[k.(string)] = d.vals[i]
			}
			vars["raise_exception"] = &Func{"raise_exception", func(args []any, _ *Dict) (any, error) {
				return nil, &TemplateError{Msg: toStr(args[0])}
			}}
			vars["strftime_now"] = &Func{"strftime_now", func(args []any, _ *Dict) (any, error) {
				return Strftime(now, toStr(args[0])), nil
			}}
			out, err := render(c.Template, vars)
			if c.Output == nil {
				if err == nil {
					t.Fatalf("rendered %q, want error %s", out, c.Error)
				}
				// Compare the message where Jinja's wording is mirrored.
				if i := strings.Index(c.Error, ": "); i > 0 && strings.HasPrefix(c.Error, "TemplateError") {
					if !strings.Contains(err.Error(), c.Error[i+2:]) {
						t.Errorf("error %q, want %q", err, c.Error)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("error %v, want %q", err, *c.Output)
			}
			if out != *c.Output {
				t.Errorf("output mismatch\n got %q\nwant %q", out, *c.Output)
			}
		})
	}
}

func render(src string, vars map[string]any) (string, error) {
	tmpl, err := Parse(src)
	if err != nil {
		return "", err
	}
	return tmpl.Render(vars)
}

func TestRenderGoValues(t *testing.T) {
	out, err := render("{{ n + 1 }} {{ l | join(',') }} {{ m.k }} {{ s.Name }}", map[string]any{
		"n": 41, "l": []string{"a", "b"}, "m": map[string]any{"k": true}, "s": struct{ Name string }{"x"},
	})
	if err != nil || out != "42 a,b True x" {
		t.Errorf("got %q, %v", out, err)
	}
}
