package ct2

import "github.com/ct2go/ct2go/internal/pyjson"

// PyJSON renders v as Python's json.dump(v, f, indent=2, sort_keys=True)
// does, which is what CTranslate2 writes for config.json and vocabulary.json
// (model_spec.py:311-320, 612-624). Supported values: see pyjson.Marshal.
func PyJSON(v any) ([]byte, error) {
	return pyjson.Marshal(v, pyjson.Dump)
}
