package jinja

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Filters on numbers.
var numberFilters = map[string]filterFunc{
	"int":   filterInt,
	"float": filterFloat,
	"abs":   filterAbs,
	"round": filterRound,
}

func filterInt(v any, args []any, kw *Dict) (any, error) {
	if isUndefined(v) { // int(Undefined) raises UndefinedError, which do_int does not catch
		return nil, undefinedErr(v)
	}
	def := argOr(args, kw, 0, "default", int64(0))
	switch x := v.(type) {
	case bool, int64:
		i, _ := toIntNum(x)
		return i, nil
	case float64:
		return int64(x), nil
	case string:
		s := strings.TrimFunc(x, pyIsSpace)
		if i, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64); err == nil {
			return i, nil
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return int64(f), nil
		}
	}
	return def, nil
}

func filterFloat(v any, args []any, kw *Dict) (any, error) {
	if isUndefined(v) {
		return nil, undefinedErr(v)
	}
	def := argOr(args, kw, 0, "default", 0.0)
	switch x := v.(type) {
	case bool, int64, float64:
		f, _ := toFloatNum(x)
		return f, nil
	case string:
		if f, err := strconv.ParseFloat(strings.TrimFunc(x, pyIsSpace), 64); err == nil {
			return f, nil
		}
	}
	return def, nil
}

func filterAbs(v any, _ []any, _ *Dict) (any, error) {
	switch x := v.(type) {
	case bool, int64:
		i, _ := toIntNum(x)
		if i < 0 {
			i = -i
		}
		return i, nil
	case float64:
		return math.Abs(x), nil
	}
	return nil, fmt.Errorf("bad operand type for abs(): '%s'", typeName(v))
}

func filterRound(v any, args []any, kw *Dict) (any, error) {
	f, ok := toFloatNum(v)
	if !ok {
		return nil, fmt.Errorf("round: not a number")
	}
	prec, _ := toIntNum(argOr(args, kw, 0, "precision", int64(0)))
	method := toStr(argOr(args, kw, 1, "method", "common"))
	p := math.Pow(10, float64(prec))
	switch method {
	case "ceil":
		return math.Ceil(f*p) / p, nil
	case "floor":
		return math.Floor(f*p) / p, nil
	}
	if _, isInt := toIntNum(v); isInt && method == "common" {
		return filterInt(v, nil, nil) // Python's round(int, n) stays an int
	}
	if prec >= 0 && prec <= 300 {
		// Python's round(): correctly rounded on the exact binary value, ties to even
		// (round(2.675, 2) == 2.67, round(2.5) == 2.0), which is what strconv does too.
		r, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'f', int(prec), 64), 64)
		return r, nil
	}
	return math.RoundToEven(f*p) / p, nil
}
