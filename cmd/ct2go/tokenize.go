package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/ct2go/ct2go/tokenizer"
)

func loadTokenizer(c *cli.Context) (*tokenizer.Tokenizer, error) {
	dir, err := modelDir(c, c.String("model"), true)
	if err != nil {
		return nil, err
	}
	if err := checkModelPath(c.Command.Name, dir, kindAny); err != nil {
		return nil, err
	}
	tok, err := tokenizer.Load(dir)
	if err != nil {
		if errors.Is(err, tokenizer.ErrUnsupported) {
			return nil, exitError{exitUnsupported, err}
		}
		return nil, err
	}
	return tok, nil
}

func tokenizeCommand() *cli.Command {
	return &cli.Command{
		Name:      "tokenize",
		Usage:     "encode text (or a chat) with the model's Llama 3 tokenizer, exactly as Hugging Face does",
		ArgsUsage: "[TEXT | -]",
		Description: "TEXT is taken verbatim (with -, from stdin; no trailing newline is stripped). With --chat --json -,\n" +
			"stdin is {\"messages\": [...], \"tools\": [...]?, \"add_generation_prompt\": bool?, \"date_string\": \"...\"?}\n" +
			"and the output is {\"text\": ..., \"ids\": [...]} rendered by the model's chat template.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Usage: "directory with tokenizer.json (an HF checkpoint or a ct2go output), or a hub id", Required: true},
			&cli.BoolFlag{Name: "no-special", Aliases: []string{"no_special"}, Usage: "do not add <|begin_of_text|>"},
			&cli.BoolFlag{Name: "chat", Usage: "read a chat request (JSON) and apply the chat template"},
			&cli.BoolFlag{Name: "json", Usage: "print JSON"},
			offlineFlag,
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 1 {
				return usagef("tokenize takes one TEXT (or - for stdin); quote it")
			}
			text := c.Args().First()
			if c.NArg() == 0 || text == "-" {
				b, err := io.ReadAll(io.LimitReader(os.Stdin, 1<<30))
				if err != nil {
					return err
				}
				text = string(b)
			}
			tok, err := loadTokenizer(c)
			if err != nil {
				return err
			}
			if c.Bool("chat") {
				if !c.Bool("json") {
					return usagef("--chat prints JSON: add --json")
				}
				req, err := tokenizer.ParseChatRequest([]byte(text))
				if err != nil {
					return fmt.Errorf("chat request: %w", err)
				}
				res, err := tok.Chat(req)
				if err != nil {
					return err
				}
				return printJSON(os.Stdout, res)
			}
			res := tok.Tokenize(text, !c.Bool("no-special"))
			if c.Bool("json") {
				return printJSON(os.Stdout, res)
			}
			fmt.Println(formatIDs(res.IDs))
			for i, id := range res.IDs {
				fmt.Printf("%8d  %q\n", id, res.Tokens[i])
			}
			return nil
		},
	}
}

func detokenizeCommand() *cli.Command {
	return &cli.Command{
		Name:      "detokenize",
		Usage:     "decode token ids to text with the model's tokenizer",
		ArgsUsage: "IDS…",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Usage: "directory with tokenizer.json, or a hub id", Required: true},
			&cli.BoolFlag{Name: "skip-special", Aliases: []string{"skip_special"}, Usage: "leave special tokens out"},
			offlineFlag,
		},
		Action: func(c *cli.Context) error {
			ids, err := parseIDs(c.Args().Slice())
			if err != nil {
				return usagef("%v", err)
			}
			tok, err := loadTokenizer(c)
			if err != nil {
				return err
			}
			if err := tok.CheckIDs(ids); err != nil {
				return err
			}
			fmt.Println(tok.Decode(ids, c.Bool("skip-special")))
			return nil
		},
	}
}
