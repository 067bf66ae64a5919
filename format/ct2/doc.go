// Package ct2 reads and writes CTranslate2 model directories: model.bin
// (binary version 6), config.json and vocabulary.json, byte for byte as
// CTranslate2's Python converter writes them.
//
// Source of the format: OpenNMT/CTranslate2 v4.8.1,
// python/ctranslate2/specs/model_spec.py (writer) and src/models/model.cc
// (reader); see shared/docs/ctranslate2-format.md.
package ct2
