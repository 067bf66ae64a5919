package testfix

import (
	"encoding/json"
	"os"
	"testing"
)

// Manifest is golden/<variant>/<type>/MANIFEST.json (fixtures README): the
// sha256 of each output file and every model.bin variable with its payload's
// sha256.
type Manifest struct {
	FilesSHA256 map[string]string `json:"files_sha256"`
	ModelBin    struct {
		BinaryVersion uint32 `json:"binary_version"`
		Spec          string `json:"spec"`
		Revision      uint32 `json:"revision"`
		Variables     []struct {
			Name   string `json:"name"`
			DType  string `json:"dtype"`
			Shape  []int  `json:"shape"`
			NBytes int64  `json:"nbytes"`
			SHA256 string `json:"sha256"`
		} `json:"variables"`
		Aliases [][]string `json:"aliases"`
	} `json:"model_bin"`
}

// ReadManifest reads the MANIFEST.json of golden/variant/quant.
func ReadManifest(t testing.TB, variant, quant string) *Manifest {
	t.Helper()
	raw, err := os.ReadFile(Path(t, "golden", variant, quant, "MANIFEST.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s/%s MANIFEST.json: %v", variant, quant, err)
	}
	return &m
}
