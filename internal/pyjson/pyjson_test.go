package pyjson

import (
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"
)

// Expected strings are Python 3 outputs (repr(float), json.dumps).
func TestFloatRepr(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		f    float64
		want string
	}{
		{1e-05, "1e-05"}, {1e-06, "1e-06"}, {1.5e-05, "1.5e-05"}, {0.0001, "0.0001"},
		{500000.0, "500000.0"}, {1.0, "1.0"}, {0.0, "0.0"}, {-2.5, "-2.5"}, {math.Copysign(0, -1), "-0.0"},
		{1e16, "1e+16"}, {1.2345e16, "1.2345e+16"}, {123456789012345.6, "123456789012345.6"},
		{0.1, "0.1"}, {1e-100, "1e-100"}, {3.0e22, "3e+22"}, {-1.5e-7, "-1.5e-07"},
		{math.NaN(), "nan"}, {math.Inf(1), "inf"}, {math.Inf(-1), "-inf"},
	} {
		if got := FloatRepr(c.f); got != c.want {
			t.Errorf("FloatRepr(%v) = %q, want %q", c.f, got, c.want)
		}
	}
}

func TestQuote(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in          string
		ascii, utf8 string
	}{
		{`a"b\c`, `"a\"b\\c"`, `"a\"b\\c"`},
		{"Ġhello", `"\u0120hello"`, `"Ġhello"`},
		{"<>&\u2028", `"<>&\u2028"`, "\"<>&\u2028\""},
		{"\n\t\x01\x7f", `"\n\t\u0001\u007f"`, "\"\\n\\t\\u0001\x7f\""},
		{"😀", `"\ud83d\ude00"`, `"😀"`},
		{"é\b\f\r", `"\u00e9\b\f\r"`, `"é\b\f\r"`},
		{"\xff", `"\ufffd"`, "\"\ufffd\""},
	} {
		for _, ascii := range []bool{true, false} {
			var b strings.Builder
			Quote(&b, c.in, ascii)
			want := c.utf8
			if ascii {
				want = c.ascii
			}
			if b.String() != want {
				t.Errorf("Quote(%q, ensureASCII=%v) = %s, want %s", c.in, ascii, b.String(), want)
			}
		}
	}
}

func TestMarshalDump(t *testing.T) {
	t.Parallel()
	got, err := Marshal(map[string]any{"b": []any{1, "x"}, "a": map[string]any{}, "c": nil, "d": []string{}, "e": true,
		"f": []int{2}, "g": json.Number("1e-05"), "h": json.Number("12"), "i": float32(0.5), "j": math.Inf(-1)}, Dump)
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"a\": {},\n  \"b\": [\n    1,\n    \"x\"\n  ],\n  \"c\": null,\n  \"d\": [],\n  \"e\": true,\n" +
		"  \"f\": [\n    2\n  ],\n  \"g\": 1e-05,\n  \"h\": 12,\n  \"i\": 0.5,\n  \"j\": -Infinity\n}"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// json.dumps defaults: one line, ", " and ": ", insertion order, no ASCII escaping.
func TestMarshalCompactAndPairs(t *testing.T) {
	t.Parallel()
	n, _ := new(big.Int).SetString("123456789012345678901234567890", 10)
	v := Pairs{Keys: []string{"z", "a"}, Values: []any{[]any{n, 1.0, "é"}, Pairs{}}}
	got, err := MarshalString(v, Options{ItemSep: ", ", KeySep: ": "})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"z": [123456789012345678901234567890, 1.0, "é"], "a": {}}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	empty := ""
	got, _ = MarshalString([]any{1, []any{}}, Options{Indent: &empty, ItemSep: ",", KeySep: ":"})
	if want := "[\n1,\n[]\n]"; got != want {
		t.Errorf("indent=0: got %q, want %q", got, want)
	}
}

type custom struct{ n int }
type opaque struct{}

func TestConvert(t *testing.T) {
	t.Parallel()
	errBad := errors.New("not serializable")
	conv := func(v any) (any, error) {
		switch x := v.(type) {
		case custom:
			if x.n == 0 {
				return nil, errBad
			}
			return []any{x.n, custom{x.n - 1}}, nil // containers convert their members again
		case opaque:
			return opaque{}, nil // converting to itself must not recurse forever
		}
		return nil, errBad
	}
	o := Options{ItemSep: ",", KeySep: ":", Convert: conv}
	if got, err := MarshalString(custom{1}, o); err == nil {
		t.Errorf("custom{1} = %s, want the error for custom{0}'s member", got)
	}
	if _, err := MarshalString(struct{}{}, o); !errors.Is(err, errBad) {
		t.Errorf("Convert's error not returned: %v", err)
	}
	if _, err := MarshalString(opaque{}, o); err == nil {
		t.Error("a Convert returning an unknown type must fail")
	}
	if _, err := Marshal(struct{}{}, Dump); err == nil {
		t.Error("unknown type without Convert must fail")
	}
}
