#!/usr/bin/env python3
"""Write reference logits for `ct2go verify` from a Hugging Face checkpoint.

The output is a safetensors file holding, for every prompt NAME,

    NAME.input_ids  int64   [T]      the prompt's token ids (the first is usually <|begin_of_text|>)
    NAME.logits     float32 [T, V]   the logits of every position (row t predicts token t+1)

and a `__metadata__` entry "source" describing how they were made (model path, class, dtype,
transformers/torch versions). `ct2go verify --model CT2_DIR --reference FILE` runs the CTranslate2
model on the same ids and compares (KL divergence, top-1, max |delta logit|, perplexity).
Compress large files with `zstd FILE` (ct2go reads FILE.zst directly).

The model runs in float32, eager attention, on CPU: the most exact reference transformers can give.
Llama-3.2-Vision (Mllama) checkpoints run text-only (MllamaForConditionalGeneration forward without
pixel_values: the cross-attention layers are skipped, which is what the converted Llama model does);
other Llama checkpoints use LlamaForCausalLM. Memory: the whole model in float32 (an 11B Vision
checkpoint needs ~44 GB of RAM).

Prompts come from a JSON file, one of
    {"NAME": [ids...], ...}            token ids, used as given
    {"NAME": "text", ...}              text, tokenized with the checkpoint's tokenizer
                                       (add_special_tokens: <|begin_of_text|> is prepended)
    {"NAME": {"chat": [messages]}}     rendered with the checkpoint's chat template
                                       (add_generation_prompt=True) and tokenized
A JSON list instead of an object names its prompts prompt0, prompt1, ...

Example:
    python3 scripts/reference_logits.py --model /models/Llama-3.2-11B-Vision-Instruct \\
        --prompts prompts.json --output ref.safetensors
    ct2go verify --model ct2-int8 --reference ref.safetensors

Needs: torch, transformers (>= 4.45 for Mllama), safetensors.
"""

import argparse
import json
import sys


def load_prompts(path):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if isinstance(data, list):
        data = {"prompt%d" % i: p for i, p in enumerate(data)}
    if not isinstance(data, dict) or not data:
        sys.exit("%s: want a non-empty JSON object {name: prompt} or list of prompts" % path)
    for name in data:
        if not name or "." in name:
            sys.exit("%s: prompt name %r must be non-empty and contain no '.'" % (path, name))
    return data


def encode(name, prompt, tokenizer):
    if isinstance(prompt, list) and all(isinstance(i, int) for i in prompt):
        return prompt
    if tokenizer is None:
        sys.exit("prompt %s is text but the checkpoint has no tokenizer" % name)
    if isinstance(prompt, str):
        return tokenizer(prompt, add_special_tokens=True)["input_ids"]
    if isinstance(prompt, dict) and isinstance(prompt.get("chat"), list):
        # The rendered template already starts with <|begin_of_text|>: no special tokens added.
        text = tokenizer.apply_chat_template(prompt["chat"], tokenize=False, add_generation_prompt=True)
        return tokenizer(text, add_special_tokens=False)["input_ids"]
    sys.exit("prompt %s: want a list of ids, a string or {\"chat\": [messages]}" % name)


def load_model(path):
    import torch
    import transformers

    config = transformers.AutoConfig.from_pretrained(path)
    if config.model_type == "mllama":
        cls = transformers.MllamaForConditionalGeneration
    else:
        cls = transformers.LlamaForCausalLM
    model = cls.from_pretrained(path, torch_dtype=torch.float32, attn_implementation="eager")
    model.eval()
    return model, cls.__name__


def main():
    ap = argparse.ArgumentParser(
        description="Write reference logits (safetensors: NAME.input_ids, NAME.logits) for `ct2go verify`.",
        epilog="See the module docstring (head of this file) for the prompts file format.",
    )
    ap.add_argument("--model", required=True, help="Hugging Face checkpoint directory or hub id")
    ap.add_argument("--prompts", required=True, help="JSON prompts file ({name: ids|text|{chat}} or a list)")
    ap.add_argument("--output", required=True, help="output .safetensors file")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (default: torch's choice)")
    args = ap.parse_args()

    import torch
    import transformers
    from safetensors.torch import save_file

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    prompts = load_prompts(args.prompts)
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(args.model)
    except (OSError, ValueError):
        tokenizer = None
    model, cls_name = load_model(args.model)

    tensors = {}
    with torch.no_grad():
        for name, prompt in prompts.items():
            ids = encode(name, prompt, tokenizer)
            if not ids:
                sys.exit("prompt %s has no tokens" % name)
            input_ids = torch.tensor([ids], dtype=torch.int64)
            # Mllama without pixel_values: text-only path (cross-attention layers skipped).
            out = model(input_ids=input_ids, use_cache=False)
            # clone: own storage per tensor (save_file refuses views sharing memory).
            logits = out.logits[0].to(torch.float32).clone()
            if not torch.isfinite(logits).all():
                sys.exit("prompt %s: the model produced NaN/Inf logits" % name)
            tensors[name + ".input_ids"] = input_ids[0].clone()
            tensors[name + ".logits"] = logits
            print("%s: %d tokens, logits %s" % (name, len(ids), tuple(logits.shape)), file=sys.stderr)

    source = "%s float32 eager CPU forward (no pixel_values) of %s; transformers %s, torch %s" % (
        cls_name, args.model, transformers.__version__, torch.__version__)
    save_file(tensors, args.output, metadata={"source": source})
    print("wrote %s (%d prompts)" % (args.output, len(prompts)), file=sys.stderr)


if __name__ == "__main__":
    main()
