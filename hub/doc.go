// Package hub turns a `--model` argument into a local checkpoint directory.
//
// The argument is either an existing directory (returned unchanged) or a Hugging Face
// model id `org/name[@revision]`. Ids are resolved in the standard Hugging Face cache
// (HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub) with exactly the layout
// huggingface_hub writes, so the cache is shared both ways with Python tools:
//
//	models--org--name/
//	  refs/main                      -> "<40-hex commit>" (no newline)
//	  blobs/<etag>                   content; etag = sha256 (LFS) or git blob sha1
//	  snapshots/<commit>/<path>      relative symlink ../../blobs/<etag>
//	.locks/models--org--name/<etag>.lock
//
// Missing files are downloaded from HF_ENDPOINT (default https://huggingface.co) with
// HF_TOKEN as bearer token: only what conversion needs (configs, safetensors weights,
// tokenizer files, license/notice/readme), never `original/` or pickled/GGUF weights.
// Downloads go to blobs/<etag>.incomplete under a per-blob flock, resume with HTTP Range,
// are verified (sha256 for LFS, git blob sha1 otherwise) and renamed into place.
//
// HF_HUB_OFFLINE=1 (or Options.Offline) never touches the network; a cached snapshot is
// then accepted when config.json and every weight shard resolve (and, if a Python
// huggingface_hub left trees/<commit>.json, every selected non-optional file it lists).
// HF_HUB_ETAG_TIMEOUT and HF_HUB_DOWNLOAD_TIMEOUT (seconds) bound metadata requests and
// download stalls; a stalled or cut download is resumed with Range.
//
// This package is a leaf: it imports only the standard library, and reports progress
// through a callback so the CLI owns any progress bar.
//
// Protocol and layout follow huggingface_hub (github.com/huggingface/huggingface_hub,
// src/huggingface_hub/file_download.py and _snapshot_download.py @ee0a451, Aug 2026).
package hub
