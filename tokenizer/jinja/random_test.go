package jinja

import (
	"encoding/json"
	"os"
	"testing"
)

// TestRandomGolden renders testdata/random_golden.json: 1200 random templates and expressions
// rendered by Python Jinja2 (testdata/gen_random.py). Output must match exactly; where Jinja2
// raised, an error is required.
func TestRandomGolden(t *testing.T) {
	data, err := os.ReadFile("testdata/random_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Context json.RawMessage `json:"context"`
		Cases   []struct {
			Kind     string  `json:"kind"`
			Template string  `json:"template"`
			Output   *string `json:"output"`
			Error    string  `json:"error"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Cases) < 1200 {
		t.Fatalf("%d cases, want 1200", len(g.Cases))
	}
	ctx, err := FromJSON(g.Context)
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	for i, c := range g.Cases {
		vars := map[string]any{}
		d := ctx.(*Dict)
		for k, key := range d.keys {
			vars[key.(string)] = d.vals[k]
		}
		out, err := render(c.Template, vars)
		switch {
		case c.Output == nil && err == nil:
			t.Errorf("case %d (%s) %q: rendered %q, want error %s", i, c.Kind, c.Template, out, c.Error)
		case c.Output != nil && err != nil:
			t.Errorf("case %d (%s) %q: error %v, want %q", i, c.Kind, c.Template, err, *c.Output)
		case c.Output != nil && out != *c.Output:
			t.Errorf("case %d (%s) %q:\n got %q\nwant %q", i, c.Kind, c.Template, out, *c.Output)
		default:
			continue
		}
		if bad++; bad > 20 {
			t.Fatal("too many failures")
		}
	}
}
