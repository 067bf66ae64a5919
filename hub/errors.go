package hub

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Sentinels for errors.Is; the CLI maps them to exit codes and messages stay one line.
var (
	// ErrGated: the repository is gated and the token (if any) has no access.
	ErrGated = errors.New("gated repository")
	// ErrNotFound: repository, revision or file does not exist (or is private without a token).
	ErrNotFound = errors.New("not found")
	// ErrOffline: offline mode and the cache does not hold what is needed.
	ErrOffline = errors.New("not in the offline cache")
	// ErrCorrupt: downloaded or cached content does not match its hash or size.
	ErrCorrupt = errors.New("corrupt")
	// ErrUnsafePath: the server named a file that would escape the snapshot directory.
	ErrUnsafePath = errors.New("unsafe path from server")
)

// Error is a classified failure with the context needed for a one-line message.
type Error struct {
	Kind     error  // one of the sentinels above, or nil for other HTTP errors
	Repo     string // org/name
	Revision string
	File     string // repository path, when the failure concerns one file
	Status   int    // HTTP status, 0 when not an HTTP failure
	Msg      string // the complete one-line message
}

func (e *Error) Error() string { return e.Msg }

// Unwrap lets errors.Is(err, ErrGated) etc. work.
func (e *Error) Unwrap() error { return e.Kind }

// oneLine keeps server-provided text from breaking the one-line rule.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// httpError classifies a failed Hub response the way huggingface_hub hf_raise_for_status
// does (utils/_http.py): the X-Error-Code header (GatedRepo, RepoNotFound,
// RevisionNotFound, EntryNotFound) first, then the status. 401 without a code on a repo
// URL means "not found or private" (the Hub answers 401 for missing repos too).
func (c *client) httpError(resp *http.Response, ref Ref, file string) *Error {
	code := resp.Header.Get("X-Error-Code")
	srvMsg := oneLine(resp.Header.Get("X-Error-Message"))
	e := &Error{Repo: ref.Repo, Revision: ref.Revision, File: file, Status: resp.StatusCode}
	page := c.endpoint + "/" + ref.Repo
	what := ref.Repo
	if file != "" {
		what = ref.Repo + "@" + ref.Revision + ": " + file
	}
	detail := fmt.Sprintf("HTTP %d", resp.StatusCode)
	if srvMsg != "" {
		detail += ": " + srvMsg
	}
	gated := code == "GatedRepo" ||
		(resp.StatusCode == 401 || resp.StatusCode == 403) && strings.Contains(srvMsg, "is restricted")
	switch {
	case gated:
		e.Kind = ErrGated
		tok := "set HF_TOKEN to an access token of the account that accepted it"
		if c.token != "" {
			tok = "make sure HF_TOKEN is a token of the account that accepted it (access requests may need approval)"
		}
		e.Msg = fmt.Sprintf("%s is a gated model: accept its license at %s and %s (%s)", ref.Repo, page, tok, detail)
	case code == "RevisionNotFound":
		e.Kind = ErrNotFound
		e.Msg = fmt.Sprintf("revision %q not found in repository %s (%s)", ref.Revision, ref.Repo, detail)
	case code == "EntryNotFound":
		e.Kind = ErrNotFound
		e.Msg = fmt.Sprintf("%s: file not found on the Hub (%s)", what, detail)
	case resp.StatusCode == 401 && srvMsg == "Invalid credentials in Authorization header":
		e.Msg = fmt.Sprintf("%s: HF_TOKEN was rejected by %s (%s)", ref.Repo, c.endpoint, detail)
	case code == "RepoNotFound" || resp.StatusCode == 404 || resp.StatusCode == 401:
		e.Kind = ErrNotFound
		hint := "check the id"
		if c.token == "" {
			hint += "; if it is private, set HF_TOKEN"
		}
		if file != "" && code == "" && resp.StatusCode == 404 {
			e.Msg = fmt.Sprintf("%s: not found on the Hub (%s)", what, detail)
		} else {
			e.Msg = fmt.Sprintf("repository %s (revision %s) not found on %s: %s (%s)", ref.Repo, ref.Revision, c.endpoint, hint, detail)
		}
	default:
		method := ""
		if resp.Request != nil {
			method = resp.Request.Method + " "
		}
		e.Msg = fmt.Sprintf("%s: %s%s", what, method, detail)
	}
	return e
}
