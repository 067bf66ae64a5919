package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ct2go/ct2go/internal/testfix"
)

// fixturesDir is ../shared/fixtures; tests fail (not skip) when it is missing.
func fixturesDir(t testing.TB) string {
	t.Helper()
	return testfix.Dir(t)
}

var (
	fixtureOnce sync.Once
	fixtureTok  *Tokenizer
	fixtureErr  error
)

// fixtureTokenizer loads tiny-mllama's tokenizer once per test binary.
func fixtureTokenizer(t testing.TB) *Tokenizer {
	t.Helper()
	dir := filepath.Join(fixturesDir(t), "tiny-mllama")
	fixtureOnce.Do(func() { fixtureTok, fixtureErr = Load(dir) })
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	return fixtureTok
}

type goldenFile struct {
	Meta struct {
		BOSTokenID    int               `json:"bos_token_id"`
		EOSTokenID    int               `json:"eos_token_id_tokenizer"`
		PadTokenID    int               `json:"pad_token_id"`
		SpecialTokens map[string]string `json:"special_tokens"`
	} `json:"meta"`
	Encode []struct {
		Name         string   `json:"name"`
		Text         string   `json:"text"`
		IDs          []int    `json:"ids"`
		IDsNoSpecial []int    `json:"ids_no_special"`
		Tokens       []string `json:"tokens"`
	} `json:"encode"`
	Decode []struct {
		Name          string `json:"name"`
		IDs           []int  `json:"ids"`
		SkipSpecial   bool   `json:"skip_special_tokens"`
		Text          string `json:"text"`
		TextNoCleanup string `json:"text_no_cleanup"`
	} `json:"decode"`
	Chat []struct {
		Name                string          `json:"name"`
		Messages            json.RawMessage `json:"messages"`
		Tools               json.RawMessage `json:"tools"`
		AddGenerationPrompt bool            `json:"add_generation_prompt"`
		Kwargs              json.RawMessage `json:"kwargs"`
		Now                 string          `json:"now"`
		Text                string          `json:"text"`
		IDs                 []int           `json:"ids"`
	} `json:"chat"`
}

func loadGolden(t testing.TB) *goldenFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixturesDir(t), "tokenizer", "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g goldenFile
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatalf("golden.json: %v", err)
	}
	if len(g.Encode) != 145 || len(g.Decode) != 32 || len(g.Chat) != 20 {
		t.Fatalf("golden.json: %d encode, %d decode, %d chat cases; want 145, 32, 20", len(g.Encode), len(g.Decode), len(g.Chat))
	}
	return &g
}
