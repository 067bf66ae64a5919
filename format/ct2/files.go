package ct2

// ConfigJSON renders config.json as json.dump(d, f, indent=2, sort_keys=True)
// followed by the "\n" CTranslate2 adds (model_spec.py:311-320).
func ConfigJSON(cfg map[string]any) ([]byte, error) {
	b, err := PyJSON(cfg)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// VocabularyJSON renders vocabulary.json as json.dump(tokens, f, indent=2):
// no trailing newline (model_spec.py:612-624).
func VocabularyJSON(tokens []string) ([]byte, error) {
	return PyJSON(tokens)
}
