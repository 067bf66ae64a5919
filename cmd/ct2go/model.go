package main

import (
	"fmt"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/ct2go/ct2go/convert/hub"
)

var offlineFlag = &cli.BoolFlag{Name: "offline", Usage: "never use the network for --model hub ids (same as HF_HUB_OFFLINE=1)"}

const modelUsage = "checkpoint directory, or Hugging Face id org/name[@revision] (resolved in the HF cache, downloaded if missing)"

// modelDir turns --model (a directory or a Hugging Face id org/name[@revision])
// into a local checkpoint directory, downloading what is missing into the
// shared Hugging Face cache.
func modelDir(c *cli.Context, spec string, quiet bool) (string, error) {
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
	return dir, err
}
