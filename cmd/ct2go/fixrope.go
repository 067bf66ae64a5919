package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/ct2go/ct2go/convert"
)

func fixRopeCommand() *cli.Command {
	return &cli.Command{
		Name:  "fix-rope",
		Usage: "add the llama3 RoPE scalars CTranslate2's converter leaves out to an existing CTranslate2 Llama 3.1/3.2 model",
		Description: "CTranslate2 4.4-4.8 conversions of Llama 3.1/3.2 lack rotary_scaling_factor and\n" +
			"original_max_position_embeddings, so CTranslate2 runs them with unscaled RoPE. This adds them\n" +
			"to every llama3-scaled layer, rewriting model.bin atomically; running it twice changes nothing.",
		ArgsUsage: " ",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Usage: "CTranslate2 model directory", Required: true},
			&cli.StringFlag{Name: "from-config", Aliases: []string{"from_config"}, Usage: "the original Hugging Face config.json (or its directory)"},
			&cli.Float64Flag{Name: "factor", Usage: "rope_scaling.factor (8 for Llama 3.1 8B/70B and 3.2 11B/90B Vision, 32 for Llama 3.2 1B/3B)"},
			&cli.IntFlag{Name: "original-max-position-embeddings", Aliases: []string{"original_max_position_embeddings"}, Usage: "rope_scaling.original_max_position_embeddings (8192 for Llama 3.x)"},
		},
		Action: func(c *cli.Context) error {
			var fix convert.RopeFix
			switch cfg := c.String("from-config"); {
			case cfg != "" && (c.IsSet("factor") || c.IsSet("original-max-position-embeddings")):
				return usagef("give either --from-config or --factor with --original-max-position-embeddings, not both")
			case cfg != "":
				if st, err := os.Stat(cfg); err == nil && st.IsDir() {
					cfg = filepath.Join(cfg, "config.json")
				}
				var err error
				if fix, err = convert.RopeFixFromConfig(cfg); err != nil {
					return err
				}
			case c.IsSet("factor") && c.IsSet("original-max-position-embeddings"):
				fix = convert.RopeFix{Factor: c.Float64("factor"), OriginalMax: c.Int("original-max-position-embeddings")}
			default:
				return usagef("fix-rope needs --from-config HF_CONFIG.json, or --factor F and --original-max-position-embeddings N")
			}
			changed, err := convert.FixRope(c.String("model"), fix)
			if err != nil {
				return err
			}
			if changed {
				fmt.Fprintf(os.Stderr, "fixed %s: llama3 RoPE scaling now active (factor %g, original_max_position_embeddings %d)\n", c.String("model"), fix.Factor, fix.OriginalMax)
			} else {
				fmt.Fprintf(os.Stderr, "%s already has the llama3 RoPE scalars: nothing to do\n", c.String("model"))
			}
			return nil
		},
	}
}
