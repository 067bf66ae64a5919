package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// formatIDs renders ids space-separated, the plain output of `ct2go tokenize`.
func formatIDs(ids []int) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(id))
	}
	return b.String()
}

// parseIDs reads token ids as users type them (`detokenize IDS…`, `run --ids`):
// each argument may hold several ids separated by spaces or commas, all of
// them optionally inside one JSON-style [ ... ]. Nothing at all is no ids.
func parseIDs(args []string) ([]int, error) {
	joined := strings.TrimSpace(strings.Join(args, " "))
	joined = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(joined, "["), "]"))
	var ids []int
	for _, f := range strings.FieldsFunc(joined, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' }) {
		id, err := strconv.Atoi(f)
		if err != nil || id < 0 {
			return nil, fmt.Errorf("%q is not a token id (a non-negative integer)", f)
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 && joined != "" {
		return nil, errors.New("no token ids given")
	}
	return ids, nil
}
