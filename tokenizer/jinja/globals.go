package jinja

import (
	"errors"
	"fmt"
)

// Globals that Jinja2 defines by default (range, dict, namespace); callers add
// raise_exception / strftime_now.
func builtinGlobals() map[string]any {
	return map[string]any{
		"range": &Func{"range", func(args []any, _ *Dict) (any, error) {
			var nums []int64
			for _, a := range args {
				i, ok := toIntNum(a)
				if !ok {
					return nil, fmt.Errorf("'%s' object cannot be interpreted as an integer", typeName(a))
				}
				nums = append(nums, i)
			}
			start, stop, step := int64(0), int64(0), int64(1)
			switch len(nums) {
			case 1:
				stop = nums[0]
			case 2:
				start, stop = nums[0], nums[1]
			case 3:
				start, stop, step = nums[0], nums[1], nums[2]
			default:
				return nil, errors.New("range expected 1 to 3 arguments")
			}
			if step == 0 {
				return nil, errors.New("range() arg 3 must not be zero")
			}
			var out []any
			for i := start; (step > 0 && i < stop) || (step < 0 && i > stop); i += step {
				if len(out) >= 100000 { // Jinja's sandbox MAX_RANGE
					return nil, errors.New("range too big")
				}
				out = append(out, i)
			}
			if out == nil {
				out = []any{}
			}
			return out, nil
		}},
		"dict": &Func{"dict", func(args []any, kw *Dict) (any, error) {
			d := NewDict()
			if len(args) == 1 {
				if src, ok := args[0].(*Dict); ok {
					for i, k := range src.keys {
						d.Set(k, src.vals[i])
					}
				}
			}
			if kw != nil {
				for i, k := range kw.keys {
					d.Set(k, kw.vals[i])
				}
			}
			return d, nil
		}},
		"namespace": &Func{"namespace", func(args []any, kw *Dict) (any, error) {
			ns := &Namespace{attrs: NewDict()}
			if len(args) == 1 {
				if src, ok := args[0].(*Dict); ok {
					for i, k := range src.keys {
						ns.attrs.Set(k, src.vals[i])
					}
				}
			}
			if kw != nil {
				for i, k := range kw.keys {
					ns.attrs.Set(k, kw.vals[i])
				}
			}
			return ns, nil
		}},
	}
}
