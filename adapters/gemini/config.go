package gemini

import (
	"fmt"
	"strings"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
)

// genConfig writes the members of generationConfig, opening it before the first.
type genConfig struct {
	w    *jwriter.Writer
	open bool
}

func (g *genConfig) key(name string) {
	if g.open {
		g.w.RawByte(',')
	} else {
		g.w.RawString(`,"generationConfig":{`)
		g.open = true
	}
	g.w.RawByte('"')
	g.w.RawString(name)
	g.w.RawString(`":`)
}

// writeGenerationConfig writes the sampling parameters
// (https://ai.google.dev/api/generate-content#generationconfig): stop -> stopSequences, n ->
// candidateCount, max_completion_tokens (else max_tokens) -> maxOutputTokens, temperature,
// top_p -> topP, seed, presence/frequency penalties, logprobs -> responseLogprobs,
// top_logprobs -> logprobs, response_format -> responseMimeType and responseJsonSchema (JSON
// Schema as OpenAI clients send it), reasoning_effort -> thinkingConfig: a thinkingLevel for
// Gemini 3 models (ThinkingLevel), a thinkingBudget for the others.
func writeGenerationConfig(w *jwriter.Writer, r *schemas.ChatRequest) error {
	g := genConfig{w: w}
	if len(r.Stop.Values) > 0 {
		g.key("stopSequences")
		w.RawByte('[')
		for i, v := range r.Stop.Values {
			if i > 0 {
				w.RawByte(',')
			}
			w.Raw(v, nil)
		}
		w.RawByte(']')
	}
	if r.N.IsDefined() {
		g.key("candidateCount")
		w.Int(r.N.V)
	}
	switch {
	case r.MaxCompletionTokens.IsDefined():
		g.key("maxOutputTokens")
		w.Int(r.MaxCompletionTokens.V)
	case r.MaxTokens.IsDefined():
		g.key("maxOutputTokens")
		w.Int(r.MaxTokens.V)
	}
	if r.Temperature.IsDefined() {
		g.key("temperature")
		w.Float64(r.Temperature.V)
	}
	if r.TopP.IsDefined() {
		g.key("topP")
		w.Float64(r.TopP.V)
	}
	if r.Seed.IsDefined() {
		g.key("seed")
		w.Int64(r.Seed.V)
	}
	if r.PresencePenalty.IsDefined() {
		g.key("presencePenalty")
		w.Float64(r.PresencePenalty.V)
	}
	if r.FrequencyPenalty.IsDefined() {
		g.key("frequencyPenalty")
		w.Float64(r.FrequencyPenalty.V)
	}
	if r.Logprobs.IsDefined() && r.Logprobs.V {
		g.key("responseLogprobs")
		w.Bool(true)
		if r.TopLogprobs.IsDefined() {
			g.key("logprobs")
			w.Int(r.TopLogprobs.V)
		}
	}
	if err := g.responseFormat(r.ResponseFormat); err != nil {
		return err
	}
	if err := g.thinking(r.Model, r.ReasoningEffort); err != nil {
		return err
	}
	if g.open {
		w.RawByte('}')
	}
	return nil
}

// gemini3 reports whether a model is of the Gemini 3 generation or a later one, which take
// thinkingConfig.thinkingLevel (https://ai.google.dev/gemini-api/docs/thinking#thinking-levels):
// "gemini-" followed by a major version of 3 or more ("gemini-3-pro-preview",
// "gemini-3.1-flash-lite"), after any path ("models/...", Vertex's
// "publishers/google/models/..."). Other names, aliases such as "gemini-flash-latest"
// included, keep thinkingBudget, which Gemini 3 still accepts.
func gemini3(model string) bool {
	for i := len(model) - 1; i >= 0; i-- {
		if model[i] == '/' {
			model = model[i+1:]
			break
		}
	}
	rest, ok := strings.CutPrefix(model, "gemini-")
	if !ok {
		return false
	}
	major, n := 0, 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' && n < 3 {
		major = major*10 + int(rest[n]-'0')
		n++
	}
	return n > 0 && (n == len(rest) || rest[n] == '.' || rest[n] == '-') && major >= 3
}

// ThinkingLevel returns the thinkingLevel for a reasoning_effort on a Gemini 3 model, "" for
// an effort OpenAI does not define. Flash models (Flash, Flash-Lite) take minimal, low,
// medium and high; Pro models take low and high only and cannot turn thinking off
// (https://ai.google.dev/gemini-api/docs/thinking#thinking-levels). So none and minimal are
// "minimal" on Flash and "low" on Pro (with none, thought summaries are not asked for);
// medium is "high" on Pro.
func ThinkingLevel(model, effort string) string {
	pro := !strings.Contains(model, "flash")
	switch effort {
	case "none", "minimal":
		if pro {
			return "low"
		}
		return "minimal"
	case "low":
		return "low"
	case "medium":
		if pro {
			return "high"
		}
		return "medium"
	case "high":
		return "high"
	}
	return ""
}

// responseFormat writes response_format as responseMimeType and responseJsonSchema.
func (g *genConfig) responseFormat(rf *schemas.ResponseFormat) error {
	if rf == nil {
		return nil
	}
	w := g.w
	switch rf.Type {
	case "text", "":
	case "json_object":
		g.key("responseMimeType")
		w.RawString(`"application/json"`)
	case "json_schema":
		g.key("responseMimeType")
		w.RawString(`"application/json"`)
		if rf.JSONSchema != nil && rf.JSONSchema.Schema.IsDefined() && !rf.JSONSchema.Schema.IsNull() {
			g.key("responseJsonSchema")
			w.Raw(rf.JSONSchema.Schema, nil)
		}
	default:
		return fmt.Errorf("response_format type %q is not supported by gemini", rf.Type)
	}
	return nil
}

// thinking writes reasoning_effort e as thinkingConfig: a thinkingLevel for Gemini 3 models
// (ThinkingLevel), a thinkingBudget for the others.
func (g *genConfig) thinking(model, e string) error {
	w := g.w
	if e == "" {
		return nil
	}
	if gemini3(model) {
		level := ThinkingLevel(model, e)
		if level == "" {
			return fmt.Errorf("reasoning_effort %q is not one of none, minimal, low, medium, high", e)
		}
		g.key("thinkingConfig")
		w.RawString(`{"thinkingLevel":"`)
		w.RawString(level)
		w.RawByte('"')
		if e != "none" {
			w.RawString(`,"includeThoughts":true`)
		}
		w.RawByte('}')
	} else {
		budget := ""
		switch e {
		case "none":
			budget = "0"
		case "minimal", "low":
			budget = "1024"
		case "medium":
			budget = "8192"
		case "high":
			budget = "24576"
		default:
			return fmt.Errorf("reasoning_effort %q is not one of none, minimal, low, medium, high", e)
		}
		g.key("thinkingConfig")
		w.RawString(`{"thinkingBudget":`)
		w.RawString(budget)
		if budget != "0" {
			w.RawString(`,"includeThoughts":true`)
		}
		w.RawByte('}')
	}
	return nil
}
