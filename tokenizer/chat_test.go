package tokenizer

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ct2go/ct2go/tokenizer/jinja"
)

func TestGoldenChat(t *testing.T) {
	tok := fixtureTokenizer(t)
	g := loadGolden(t)
	for _, c := range g.Chat {
		t.Run(c.Name, func(t *testing.T) {
			opts := ChatOptions{AddGenerationPrompt: c.AddGenerationPrompt}
			if string(c.Tools) != "null" && len(c.Tools) > 0 {
				opts.Tools = c.Tools
			}
			var kw map[string]json.RawMessage
			if err := json.Unmarshal(c.Kwargs, &kw); err != nil {
				t.Fatal(err)
			}
			opts.Kwargs = map[string]any{}
			for k, v := range kw {
				opts.Kwargs[k] = v
			}
			if c.Now != "" {
				now, err := time.ParseInLocation("2006-01-02", c.Now, time.Local)
				if err != nil {
					t.Fatal(err)
				}
				opts.Now = func() time.Time { return now }
			}
			text, ids, err := tok.EncodeChat(c.Messages, opts)
			if err != nil {
				t.Fatal(err)
			}
			if text != c.Text {
				t.Errorf("text mismatch\n got %q\nwant %q", text, c.Text)
			}
			if !slices.Equal(ids, c.IDs) {
				t.Errorf("ids mismatch\n got %v\nwant %v", ids, c.IDs)
			}
		})
	}
}

func TestChatDefaultDateIsToday(t *testing.T) {
	tok := fixtureTokenizer(t)
	fixed := time.Date(2031, time.March, 4, 10, 0, 0, 0, time.Local)
	out, err := tok.ApplyChatTemplate(json.RawMessage(`[{"role":"user","content":"hi"}]`),
		ChatOptions{Now: func() time.Time { return fixed }})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Today Date: 04 Mar 2031\n") {
		t.Errorf("default date not from strftime_now: %q", out)
	}
}

func TestChatErrors(t *testing.T) {
	tok := fixtureTokenizer(t)
	tools := json.RawMessage(`[{"type":"function","function":{"name":"f"}}]`)
	for _, c := range []struct {
		name, messages string
		opts           ChatOptions
		want           string
	}{
		{"tools_without_user", `[{"role":"system","content":"s"}]`, ChatOptions{Tools: tools}, "Cannot put tools in the first user message"},
		{"two_tool_calls", `[{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"function":{"name":"a","arguments":{}}},{"function":{"name":"b","arguments":{}}}]}]`,
			ChatOptions{}, "only supports single tool-calls"},
		{"not_a_list", `{"role":"user"}`, ChatOptions{}, "want a JSON array"},
		{"empty_messages", `[]`, ChatOptions{}, "'list object' has no element 0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := tok.ApplyChatTemplate(json.RawMessage(c.messages), c.opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error = %v, want it to mention %q", err, c.want)
			}
		})
	}
}

func TestChatRequest(t *testing.T) {
	tok := fixtureTokenizer(t)
	req, err := ParseChatRequest([]byte(`{"messages":[{"role":"user","content":"Hi"}],"date_string":"26 Jul 2024","tools_in_user_message":false,"add_generation_prompt":true}`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := tok.Chat(req)
	if err != nil {
		t.Fatal(err)
	}
	want := "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
	if res.Text != want {
		t.Errorf("text = %q", res.Text)
	}
	if !slices.Equal(res.IDs, tok.Encode(want, false)) || res.IDs[0] != 128000 || res.IDs[1] == 128000 {
		t.Errorf("ids = %v", res.IDs)
	}
	req2, err := ParseChatRequest([]byte(`{"messages":[{"role":"user","content":"Hi"}],"date_string":"26 Jul 2024"}`))
	if err != nil {
		t.Fatal(err)
	}
	if res2, err := tok.Chat(req2); err != nil || res2.Text != strings.TrimSuffix(want, "<|start_header_id|>assistant<|end_header_id|>\n\n") {
		t.Errorf("default add_generation_prompt: %q, %v", res2.Text, err)
	}
	req3, err := ParseChatRequest([]byte(`{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Sure"}],"date_string":"26 Jul 2024","continue_final_message":true}`))
	if err != nil {
		t.Fatal(err)
	}
	if res3, err := tok.Chat(req3); err != nil || !strings.HasSuffix(res3.Text, "<|end_header_id|>\n\nSure") || len(req3.Kwargs) != 0 {
		t.Errorf("continue_final_message: %+v, %v", res3, err)
	}
	if _, err := ParseChatRequest([]byte(`{"tools":[]}`)); err == nil {
		t.Error("missing messages accepted")
	}
}

// TestChatGoValues checks that typed Go messages render like the same JSON.
func TestChatGoValues(t *testing.T) {
	tok := fixtureTokenizer(t)
	opts := ChatOptions{AddGenerationPrompt: true, DateString: "26 Jul 2024"}
	fromJSON, err := tok.ApplyChatTemplate(json.RawMessage(`[{"role":"system","content":" S "},{"role":"user","content":"Hi <b>"}]`), opts)
	if err != nil {
		t.Fatal(err)
	}
	for name, msgs := range map[string]any{
		"structs": []Message{{"system", " S "}, {"user", "Hi <b>"}},
		"maps":    []map[string]any{{"role": "system", "content": " S "}, {"role": "user", "content": "Hi <b>"}},
	} {
		got, err := tok.ApplyChatTemplate(msgs, opts)
		if err != nil || got != fromJSON {
			t.Errorf("%s: %q, %v; want %q", name, got, err, fromJSON)
		}
	}
	if !strings.Contains(fromJSON, "\n\nS<|eot_id|>") || !strings.Contains(fromJSON, "Hi <b><|eot_id|>") {
		t.Errorf("unexpected rendering %q", fromJSON)
	}
}

func TestContinueFinalMessage(t *testing.T) {
	tok := fixtureTokenizer(t)
	base := ChatOptions{DateString: "26 Jul 2024", ContinueFinalMessage: true}
	head := "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
	for _, c := range []struct{ msgs, want string }{
		{`[{"role":"user","content":"Hi"},{"role":"assistant","content":"The answer is"}]`, head + "The answer is"},
		{`[{"role":"user","content":"Hi"},{"role":"assistant","content":"  The answer is "}]`, head + "  The answer is"},
		{`[{"role":"user","content":"Hi"},{"role":"assistant","content":[{"type":"text","text":"Sure"}]}]`, head + "Sure"},
	} {
		got, err := tok.ApplyChatTemplate(json.RawMessage(c.msgs), base)
		if err != nil || got != c.want {
			t.Errorf("%s:\n got %q, %v\nwant %q", c.msgs, got, err, c.want)
		}
	}
	if _, err := tok.ApplyChatTemplate(json.RawMessage(`[{"role":"user","content":"Hi"}]`), ChatOptions{ContinueFinalMessage: true, AddGenerationPrompt: true}); err == nil {
		t.Error("continue_final_message with add_generation_prompt accepted")
	}
	if _, err := tok.ApplyChatTemplate(json.RawMessage(`[{"role":"assistant","content":[{"type":"image"}]}]`), base); err == nil {
		t.Error("final message without text accepted")
	}
}

func TestContinueFinalTrailingSpace(t *testing.T) {
	// "The answer is " (no leading space, trailing space kept by the template) keeps its space.
	got, err := continueFinal("xx The answer is <end>", []any{dictOf("content", "The answer is ")})
	if err != nil || got != "xx The answer is " {
		t.Errorf("got %q, %v", got, err)
	}
}

func dictOf(k string, v any) *jinja.Dict {
	d := jinja.NewDict()
	d.Set(k, v)
	return d
}
