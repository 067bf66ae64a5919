package main

import (
	"slices"
	"testing"
)

func TestParseFormatIDs(t *testing.T) {
	if s := formatIDs([]int{128000, 9906, 1917}); s != "128000 9906 1917" {
		t.Errorf("formatIDs = %q", s)
	}
	for _, c := range []struct {
		args []string
		want []int
		err  bool
	}{
		{[]string{"1", "2", "3"}, []int{1, 2, 3}, false},
		{[]string{"1,2", "3"}, []int{1, 2, 3}, false},
		{[]string{"[9906, 1917]"}, []int{9906, 1917}, false},
		{[]string{"[", "9906,", "1917", "]"}, []int{9906, 1917}, false},
		{nil, nil, false},
		{[]string{"[]"}, nil, false},
		{[]string{","}, nil, true},
		{[]string{"x"}, nil, true},
		{[]string{"-1"}, nil, true},
	} {
		got, err := parseIDs(c.args)
		if (err != nil) != c.err || !slices.Equal(got, c.want) {
			t.Errorf("parseIDs(%q) = %v, %v", c.args, got, err)
		}
	}
}
