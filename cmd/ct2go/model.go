package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/ct2go/ct2go/format/hf"
	"github.com/ct2go/ct2go/hub"
	"github.com/ct2go/ct2go/internal/fsutil"
)

var offlineFlag = &cli.BoolFlag{Name: "offline", Usage: "never use the network for --model hub ids (same as HF_HUB_OFFLINE=1)"}

const modelUsage = "checkpoint directory, or Hugging Face id org/name[@revision] (resolved in the HF cache, downloaded if missing)"

// modelDir turns --model (a directory or a Hugging Face id org/name[@revision])
// into a local checkpoint directory, downloading what is missing into the
// shared Hugging Face cache. Anything that exists locally, or can only be
// meant as a path, is never sent to the hub.
func modelDir(c *cli.Context, spec string, quiet bool) (string, error) {
	if spec == "" {
		return "", usagef("--model is empty")
	}
	if _, err := os.Stat(spec); err == nil {
		return spec, nil // what kind of path it is, the command checks (checkModelPath)
	}
	if looksLocal(spec) {
		return "", fmt.Errorf("%s: no such directory", spec)
	}
	if _, err := hub.ParseRef(spec); err != nil {
		return "", fmt.Errorf("%s: no such directory, and not a Hugging Face id (org/name[@revision])", spec)
	}
	opts := hub.Options{Offline: c.Bool("offline"), Warn: func(m string) { fmt.Fprintln(os.Stderr, "warning:", m) }}
	var bar *progressbar.ProgressBar
	if !quiet && term.IsTerminal(int(os.Stderr.Fd())) {
		opts.Progress = func(p hub.Progress) {
			if bar == nil {
				bar = progressbar.NewOptions64(p.AllTotal, progressbar.OptionSetWriter(os.Stderr),
					progressbar.OptionSetDescription("downloading"), progressbar.OptionShowBytes(true),
					progressbar.OptionSetWidth(30), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
			}
			bar.ChangeMax64(p.AllTotal) // grows once the shard list is known
			bar.Set64(p.AllDone)
		}
	}
	dir, err := hub.Resolve(c.Context, spec, opts)
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return "", fmt.Errorf("%s: not found locally (no such directory), nor on the hub: %w", spec, err)
	}
	return dir, nil
}

// looksLocal reports --model values that can only be meant as file system
// paths: absolute, starting with . or ~, with a backslash, or with a / beyond
// the one of org/name (a revision after @ may hold slashes: refs/pr/1).
func looksLocal(spec string) bool {
	repo, _, _ := strings.Cut(spec, "@")
	return filepath.IsAbs(spec) || strings.HasPrefix(spec, ".") || strings.HasPrefix(spec, "~") ||
		strings.ContainsRune(spec, '\\') || strings.Count(repo, "/") > 1
}

// modelKind is what a --model (or inspect) path holds.
type modelKind int

const (
	kindMissing   modelKind = iota
	kindCT2Dir              // a CTranslate2 model directory (model.bin)
	kindCT2File             // a model.bin file
	kindHFDir               // a Hugging Face checkpoint directory (config.json with model_type, or safetensors)
	kindHFFile              // a file of a Hugging Face checkpoint (config.json, *.safetensors, the index)
	kindOtherDir            // a directory that is neither
	kindOtherFile           // a file that is neither
)

// classifyModelPath looks at path without reading more than config.json.
func classifyModelPath(path string) modelKind {
	st, err := os.Stat(path)
	if err != nil {
		return kindMissing
	}
	base := filepath.Base(path)
	if !st.IsDir() {
		switch {
		case base == "model.bin" || isCT2Bin(path):
			return kindCT2File
		case base == "config.json" || strings.HasSuffix(base, ".safetensors") || strings.HasSuffix(base, ".safetensors.index.json"):
			return kindHFFile
		}
		return kindOtherFile
	}
	hasModelType := false
	if raw, err := fsutil.ReadCapped(filepath.Join(path, "config.json"), hf.MaxJSONSize); err == nil {
		var cfg map[string]json.RawMessage
		if json.Unmarshal(raw, &cfg) == nil {
			_, hasModelType = cfg["model_type"]
		}
	}
	if _, err := os.Stat(filepath.Join(path, "model.bin")); err == nil && !hasModelType {
		return kindCT2Dir
	}
	if hasModelType {
		return kindHFDir
	}
	if m, _ := filepath.Glob(filepath.Join(path, "vocabulary*.json")); len(m) > 0 {
		return kindCT2Dir // a CTranslate2 directory missing its model.bin: the loader names the file
	}
	if _, err := os.Stat(filepath.Join(path, "config.json")); err == nil {
		return kindHFDir // unreadable or odd config.json: the checkpoint loader says what is wrong
	}
	if m, _ := filepath.Glob(filepath.Join(path, "*.safetensors")); len(m) > 0 {
		return kindHFDir
	}
	return kindOtherDir
}

// isCT2Bin: a file starting with CTranslate2's binary version (int32 little
// endian, 1..6) followed by the spec name length: a renamed model.bin.
func isCT2Bin(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var b [4]byte
	if n, _ := f.Read(b[:]); n != 4 {
		return false
	}
	return b[0] >= 1 && b[0] <= 6 && b[1] == 0 && b[2] == 0 && b[3] == 0
}

// Besides kindCT2Dir and kindHFDir, checkModelPath accepts these wants.
const (
	kindAny      modelKind = -1 // a model directory of either kind
	kindAnyOrBin modelKind = -2 // that, or a model.bin file (inspect)
)

// checkModelPath returns a usage error when path (a local --model value)
// is plainly not what command cmd needs, saying what it is and which
// command fits; want is kindCT2Dir, kindHFDir, kindAny or kindAnyOrBin.
// Paths it cannot judge (a directory with neither model.bin nor
// config.json, broken configs) pass, so the command's own loader names the
// exact problem. run and verify call it with kindCT2Dir (e.g.
// `if err := checkModelPath("run", dir, kindCT2Dir); err != nil { return err }`),
// convert and strip with kindHFDir, tokenize with kindAny, inspect with
// kindAnyOrBin.
func checkModelPath(cmd, path string, want modelKind) error {
	kind := classifyModelPath(path)
	dir := filepath.Dir(path)
	switch kind {
	case kindMissing:
		return fmt.Errorf("%s: no such directory", path)
	case kindCT2File:
		if want == kindAnyOrBin {
			return nil
		}
		if want == kindHFDir {
			return usagef("%s is a CTranslate2 model.bin, already converted: use run/verify/inspect on its directory %s", path, dir)
		}
		return usagef("%s is a CTranslate2 model.bin: give its directory, %s", path, dir)
	case kindHFFile:
		return usagef("%s is a file of a Hugging Face checkpoint: give its directory, %s", path, dir)
	case kindOtherFile:
		return usagef("%s is a file: give a model directory", path)
	case kindCT2Dir:
		if want == kindHFDir {
			return usagef("%s is already a CTranslate2 model: use run/verify/inspect (%s takes a Hugging Face checkpoint)", path, cmd)
		}
	case kindHFDir:
		if want == kindCT2Dir {
			return usagef("%s is a Hugging Face checkpoint, not a CTranslate2 model: convert it first (ct2go convert --model %s --output_dir OUT), or inspect it", path, path)
		}
	}
	return nil
}
