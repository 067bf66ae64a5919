package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ct2go/ct2go/tokenizer/jinja"
)

// Message is a plain text chat message. Messages with list content, tool calls or other keys
// can be passed to ApplyChatTemplate as any JSON-able value or json.RawMessage instead; note
// that templates test key presence ('tool_calls' in message), so absent keys must be omitted,
// not null.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// ChatOptions are the apply_chat_template arguments.
type ChatOptions struct {
	// AddGenerationPrompt appends the assistant header (add_generation_prompt=True).
	AddGenerationPrompt bool
	// DateString is passed as the template variable date_string; empty leaves it undefined so
	// Llama 3.x templates call strftime_now("%d %b %Y") (today's local date).
	DateString string
	// Tools is the tools list (JSON-able Go value or json.RawMessage); nil = None.
	Tools any
	// Documents is passed as `documents` (nil = None).
	Documents any
	// Now is the clock behind strftime_now; nil = time.Now.
	Now func() time.Time
	// Kwargs are extra template variables (e.g. "tools_in_user_message": false,
	// "custom_tools"); values are JSON-able Go values or json.RawMessage.
	Kwargs map[string]any
	// ContinueFinalMessage cuts the rendered prompt right after the final message's text so the
	// model continues it (transformers' continue_final_message); exclusive with
	// AddGenerationPrompt.
	ContinueFinalMessage bool
	// TemplateName picks a named template when the tokenizer has several ("default" or, when
	// Tools is set and it exists, "tool_use", as transformers does).
	TemplateName string
}

// HasChatTemplate reports whether a chat template was loaded.
func (t *Tokenizer) HasChatTemplate() bool { return len(t.chatTemplates) > 0 }

// ChatTemplate returns the template source used for opts (see ChatOptions.TemplateName).
func (t *Tokenizer) ChatTemplate(name string, hasTools bool) (string, error) {
	if len(t.chatTemplates) == 0 {
		return "", errors.New("no chat template (tokenizer_config.json chat_template, chat_template.jinja or chat_template.json)")
	}
	if name == "" {
		if len(t.chatTemplates) == 1 {
			for _, s := range t.chatTemplates {
				return s, nil
			}
		}
		name = "default"
		if _, ok := t.chatTemplates["tool_use"]; ok && hasTools {
			name = "tool_use"
		}
	}
	s, ok := t.chatTemplates[name]
	if !ok {
		return "", fmt.Errorf("no chat template named %q", name)
	}
	return s, nil
}

var templateCache sync.Map // source -> *jinja.Template

func compileTemplate(src string) (*jinja.Template, error) {
	if t, ok := templateCache.Load(src); ok {
		return t.(*jinja.Template), nil
	}
	t, err := jinja.Parse(src)
	if err != nil {
		return nil, err
	}
	templateCache.Store(src, t)
	return t, nil
}

// ApplyChatTemplate renders messages with the model's chat template like transformers'
// apply_chat_template(messages, tokenize=False, ...). messages is a JSON-able Go value (e.g.
// []map[string]any, a slice of structs) or a json.RawMessage holding a JSON array; raw JSON
// keeps the key order of objects, which tojson output depends on.
func (t *Tokenizer) ApplyChatTemplate(messages any, opts ChatOptions) (string, error) {
	src, err := t.ChatTemplate(opts.TemplateName, opts.Tools != nil)
	if err != nil {
		return "", err
	}
	tmpl, err := compileTemplate(src)
	if err != nil {
		return "", fmt.Errorf("chat template: %w", err)
	}
	msgs, err := jinja.FromGo(messages)
	if err != nil {
		return "", fmt.Errorf("messages: %w", err)
	}
	if _, ok := msgs.([]any); !ok {
		return "", errors.New("messages: want a JSON array of message objects")
	}
	vars := map[string]any{
		"messages":              msgs,
		"add_generation_prompt": opts.AddGenerationPrompt,
	}
	if vars["tools"], err = jinja.FromGo(opts.Tools); err != nil {
		return "", fmt.Errorf("tools: %w", err)
	}
	if vars["documents"], err = jinja.FromGo(opts.Documents); err != nil {
		return "", fmt.Errorf("documents: %w", err)
	}
	// transformers passes the special tokens map (bos_token, eos_token, ...) as variables.
	for name, v := range map[string]string{"bos_token": t.bos, "eos_token": t.eos, "pad_token": t.pad, "unk_token": t.unk} {
		if v != "" {
			vars[name] = v
		}
	}
	for k, v := range opts.Kwargs {
		if vars[k], err = jinja.FromGo(v); err != nil {
			return "", fmt.Errorf("kwargs[%s]: %w", k, err)
		}
	}
	if opts.DateString != "" {
		vars["date_string"] = opts.DateString
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	vars["raise_exception"] = &jinja.Func{Name: "raise_exception", Fn: func(args []any, _ *jinja.Dict) (any, error) {
		msg := ""
		if len(args) > 0 {
			msg = fmt.Sprint(args[0])
		}
		return nil, &jinja.TemplateError{Msg: msg}
	}}
	vars["strftime_now"] = &jinja.Func{Name: "strftime_now", Fn: func(args []any, _ *jinja.Dict) (any, error) {
		if len(args) != 1 {
			return nil, errors.New("strftime_now takes one format argument")
		}
		f, ok := args[0].(string)
		if !ok {
			return nil, errors.New("strftime_now: format must be a string")
		}
		return jinja.Strftime(now(), f), nil
	}}
	if opts.ContinueFinalMessage && opts.AddGenerationPrompt {
		return "", errors.New("continue_final_message and add_generation_prompt are not compatible")
	}
	out, err := tmpl.Render(vars)
	if err != nil {
		return "", fmt.Errorf("chat template: %w", err)
	}
	if opts.ContinueFinalMessage {
		return continueFinal(out, msgs.([]any))
	}
	return out, nil
}

// continueFinal trims the rendered chat after the last message's text, following transformers'
// apply_chat_template(continue_final_message=True) (utils/chat_template_utils.py,
// render_jinja_template): cut after the last occurrence of the
// stripped text, keeping trailing space only where the template preserved the message exactly.
func continueFinal(rendered string, msgs []any) (string, error) {
	if len(msgs) == 0 {
		return "", errors.New("continue_final_message needs at least one message")
	}
	var final string
	last, _ := msgs[len(msgs)-1].(*jinja.Dict)
	var content any
	if last != nil {
		content, _ = last.Get("content")
	}
	switch c := content.(type) {
	case string:
		final = c
	case []any:
		found := false
		for i := len(c) - 1; i >= 0 && !found; i-- {
			if block, ok := c[i].(*jinja.Dict); ok {
				if text, ok := block.Get("text"); ok {
					final, found = fmt.Sprint(text), true
				}
			}
		}
		if !found {
			return "", errors.New("continue_final_message is set but we could not find any text to continue in the final message")
		}
	default:
		return "", errors.New("continue_final_message: the final message has no text content")
	}
	stripped := strings.TrimFunc(final, pyIsSpace)
	loc := strings.LastIndex(rendered, stripped)
	if loc < 0 {
		return "", errors.New("continue_final_message is set but the final message does not appear in the chat after applying the chat template")
	}
	// transformers compares the lstripped length's slice with the unstripped message: equal only
	// when the message had no leading space and the template kept its trailing space.
	left := strings.TrimLeftFunc(final, pyIsSpace)
	if end := loc + len(left); end <= len(rendered) && rendered[loc:end] == final {
		return rendered[:end], nil
	}
	return rendered[:loc+len(stripped)], nil
}

// pyIsSpace is Python's str.isspace for one code point (str.strip's default set).
func pyIsSpace(r rune) bool {
	switch {
	case r >= 0x09 && r <= 0x0D, r >= 0x1C && r <= 0x20, r == 0x85, r == 0xA0, r == 0x1680,
		r >= 0x2000 && r <= 0x200A, r == 0x2028, r == 0x2029, r == 0x202F, r == 0x205F, r == 0x3000:
		return true
	}
	return false
}

// EncodeChat renders messages and encodes the prompt without adding special tokens (the
// rendered text already starts with <|begin_of_text|>; transformers' apply_chat_template with
// tokenize=True does the same).
func (t *Tokenizer) EncodeChat(messages any, opts ChatOptions) (string, []int, error) {
	text, err := t.ApplyChatTemplate(messages, opts)
	if err != nil {
		return "", nil, err
	}
	return text, t.Encode(text, false), nil
}

// ChatRequest is the JSON accepted on stdin by `ct2go tokenize --chat --json -`.
type ChatRequest struct {
	Messages            json.RawMessage `json:"messages"`
	Tools               json.RawMessage `json:"tools,omitempty"`
	AddGenerationPrompt *bool           `json:"add_generation_prompt,omitempty"`
	DateString          string          `json:"date_string,omitempty"`
	// ContinueFinalMessage is apply_chat_template's continue_final_message.
	ContinueFinalMessage bool            `json:"continue_final_message,omitempty"`
	Documents            json.RawMessage `json:"documents,omitempty"`
	// Kwargs: any other top-level keys (e.g. tools_in_user_message) become template variables.
	Kwargs map[string]json.RawMessage `json:"-"`
}

// ChatResult is what `ct2go tokenize --chat --json` prints.
type ChatResult struct {
	Text string `json:"text"`
	IDs  []int  `json:"ids"`
}

// ParseChatRequest decodes a ChatRequest. Absent keys mean what they mean in
// apply_chat_template: add_generation_prompt false, date_string from today's local date.
func ParseChatRequest(data []byte) (*ChatRequest, error) {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return nil, fmt.Errorf("chat request: %w", err)
	}
	var r ChatRequest
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("chat request: %w", err)
	}
	if len(r.Messages) == 0 {
		return nil, errors.New("chat request: \"messages\" missing")
	}
	for k, v := range all {
		switch k {
		case "messages", "tools", "add_generation_prompt", "date_string", "continue_final_message", "documents":
		default:
			if r.Kwargs == nil {
				r.Kwargs = map[string]json.RawMessage{}
			}
			r.Kwargs[k] = v
		}
	}
	return &r, nil
}

// Chat renders and encodes a ChatRequest (the whole of `ct2go tokenize --chat --json -`).
func (t *Tokenizer) Chat(r *ChatRequest) (*ChatResult, error) {
	opts := ChatOptions{AddGenerationPrompt: r.AddGenerationPrompt != nil && *r.AddGenerationPrompt, DateString: r.DateString,
		ContinueFinalMessage: r.ContinueFinalMessage}
	if len(r.Tools) > 0 && string(r.Tools) != "null" {
		opts.Tools = r.Tools
	}
	if len(r.Documents) > 0 && string(r.Documents) != "null" {
		opts.Documents = r.Documents
	}
	if len(r.Kwargs) > 0 {
		opts.Kwargs = map[string]any{}
		for k, v := range r.Kwargs {
			opts.Kwargs[k] = v
		}
	}
	text, ids, err := t.EncodeChat(r.Messages, opts)
	if err != nil {
		return nil, err
	}
	return &ChatResult{Text: text, IDs: ids}, nil
}
