package e2e

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/openai/openai-go"
	"github.com/openai/openai-go/option"
	"github.com/openai/openai-go/responses"
)

// TestResponsesGoSDK drives POST /v1/responses with the official Go SDK
// (client.Responses.New and NewStreaming), against OpenAI forwarded natively (the mock's own
// Responses API: Get and Delete then go to it), an OpenAI-format provider without a
// Responses API (Groq's spec, on the same mock: translated through chat completions) and
// translated ones (the Anthropic, Gemini and Bedrock mocks): plain, streamed, a function-tool round trip continued with
// previous_response_id (plain and streamed), Get and Delete of a stored response, and
// store: false keeping nothing.
func TestResponsesGoSDK(t *testing.T) {
	checkNoGoroutineLeak(t)
	openaiMock, openaiURL := startToolMock(t, mocks.Config{RequireKey: mockKey, StreamChunks: 5, Record: true})
	_, anthURL := startMock(t, mocks.Config{Format: mocks.FormatAnthropic, RequireKey: mockKey, StreamChunks: 5})
	_, geminiURL := startMock(t, mocks.Config{Format: mocks.FormatGemini, RequireKey: mockKey, StreamChunks: 5})
	_, bedrockURL := startMock(t, mocks.Config{Format: mocks.FormatBedrock, RequireKey: mockKey, StreamChunks: 5})
	env := map[string]string{"E2E_KEY": mockKey, "E2E_OPENAI": openaiURL, "E2E_ANTHROPIC": anthURL, "E2E_GEMINI": geminiURL,
		"E2E_BEDROCK": bedrockURL, "E2E_GW_KEY": goSDKGatewayKey}
	gw := startConfiguredGateway(t, `{
		"client": { "api_keys": ["env.E2E_GW_KEY"] },
		"providers": {
			"openai": { "keys": [{ "value": "env.E2E_KEY", "models": ["*"], "weight": 1 }], "network_config": { "base_url": "env.E2E_OPENAI" } },
			"groq": { "keys": [{ "value": "env.E2E_KEY", "models": ["*"], "weight": 1 }], "network_config": { "base_url": "env.E2E_OPENAI" } },
			"anthropic": { "keys": [{ "value": "env.E2E_KEY", "models": ["*"], "weight": 1 }], "network_config": { "base_url": "env.E2E_ANTHROPIC" } },
			"gemini": { "keys": [{ "value": "env.E2E_KEY", "models": ["*"], "weight": 1 }], "network_config": { "base_url": "env.E2E_GEMINI" } },
			"bedrock": { "keys": [{ "value": "env.E2E_KEY", "bedrock_key_config": { "region": "us-east-1" }, "models": ["*"], "weight": 1 }],
				"network_config": { "base_url": "env.E2E_BEDROCK" } }
		}
	}`, func(k string) string { return env[k] })
	client := openai.NewClient(option.WithAPIKey(goSDKGatewayKey), option.WithMaxRetries(0), option.WithBaseURL(gw+"/openai/v1/"))
	weather := responses.ToolParamOfFunction("get_weather", map[string]any{
		"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []string{"city"},
	}, false)

	for _, model := range []string{"openai/gpt-4o-mini", "groq/llama-3.1-8b-instant", "anthropic/claude-sonnet-4-5", "gemini/gemini-2.0-flash",
		"bedrock/anthropic.claude-3-5-haiku-20241022-v1:0"} {
		t.Run(model, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			params := responses.ResponseNewParams{
				Model:        model,
				Instructions: openai.String("Be brief."),
				Input:        responses.ResponseNewParamsInputUnion{OfString: openai.String("Say hello.")},
			}

			t.Run("plain", func(t *testing.T) {
				resp, err := client.Responses.New(ctx, params)
				if err != nil {
					t.Fatal(err)
				}
				if resp.Status != "completed" || resp.OutputText() == "" || resp.Usage.TotalTokens == 0 || !strings.HasPrefix(resp.ID, "resp_") {
					t.Fatalf("response %+v", resp)
				}
				got, err := client.Responses.Get(ctx, resp.ID, responses.ResponseGetParams{})
				if err != nil || got.ID != resp.ID || got.OutputText() != resp.OutputText() {
					t.Fatalf("Get: %v %+v", err, got)
				}
				if err := client.Responses.Delete(ctx, resp.ID); err != nil {
					t.Fatal(err)
				}
				var apiErr *openai.Error
				if _, err := client.Responses.Get(ctx, resp.ID, responses.ResponseGetParams{}); !errors.As(err, &apiErr) || apiErr.StatusCode != 404 {
					t.Errorf("Get after Delete: %v", err)
				}
			})

			t.Run("stream", func(t *testing.T) {
				text, final := streamResponse(t, ctx, client, params)
				if text == "" || final.Status != "completed" || final.OutputText() != text {
					t.Errorf("streamed %q, final %+v", text, final)
				}
			})

			t.Run("store false", func(t *testing.T) {
				p := params
				p.Store = openai.Bool(false)
				resp, err := client.Responses.New(ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				var apiErr *openai.Error
				if _, err := client.Responses.Get(ctx, resp.ID, responses.ResponseGetParams{}); !errors.As(err, &apiErr) || apiErr.StatusCode != 404 {
					t.Errorf("a store:false response was kept: %v", err)
				}
			})

			for _, streamed := range []bool{false, true} {
				name := "tool round trip"
				if streamed {
					name += " streamed"
				}
				t.Run(name, func(t *testing.T) {
					p := params
					p.Input = responses.ResponseNewParamsInputUnion{OfString: openai.String("Weather in Paris?")}
					p.Tools = []responses.ToolUnionParam{weather}
					var first *responses.Response
					if streamed {
						_, first = streamResponse(t, ctx, client, p)
					} else {
						var err error
						if first, err = client.Responses.New(ctx, p); err != nil {
							t.Fatal(err)
						}
					}
					var callID string
					for _, it := range first.Output {
						if it.Type == "function_call" && it.Name == "get_weather" && it.Arguments != "" {
							callID = it.CallID
						}
					}
					if callID == "" {
						t.Fatalf("no function call in %+v", first.Output)
					}
					p.PreviousResponseID = openai.String(first.ID)
					p.Input = responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{
						responses.ResponseInputItemParamOfFunctionCallOutput(callID, `{"temp":21}`)}}
					second, err := client.Responses.New(ctx, p)
					if err != nil {
						t.Fatal(err)
					}
					if second.Status != "completed" || second.PreviousResponseID != first.ID || len(second.Output) == 0 {
						t.Errorf("second turn %+v", second)
					}
				})
			}
		})
	}
	// OpenAI was served natively (the mock's /v1/responses), Groq through chat completions.
	paths := map[string]bool{}
	for _, r := range openaiMock.Requests() {
		paths[r.Method+" "+r.Path] = true
	}
	for _, want := range []string{"POST /v1/responses", "GET /v1/responses/", "DELETE /v1/responses/", "POST /v1/chat/completions"} {
		found := false
		for p := range paths {
			found = found || strings.HasPrefix(p, want)
		}
		if !found {
			t.Errorf("the OpenAI mock got no %s (got %v)", want, paths)
		}
	}
}

// streamResponse runs params streamed and returns the text from the deltas and the final
// response, checking the events' order and sequence numbers.
func streamResponse(t *testing.T, ctx context.Context, client openai.Client, params responses.ResponseNewParams) (string, *responses.Response) {
	t.Helper()
	stream := client.Responses.NewStreaming(ctx, params)
	defer stream.Close() //nolint:errcheck // read to its end
	var text strings.Builder
	var final *responses.Response
	var types []string
	for stream.Next() {
		ev := stream.Current()
		if int(ev.SequenceNumber) != len(types) {
			t.Fatalf("event %d (%s) has sequence_number %d", len(types), ev.Type, ev.SequenceNumber)
		}
		types = append(types, ev.Type)
		switch ev.Type {
		case "response.output_text.delta":
			text.WriteString(ev.Delta.OfString)
		case "response.completed":
			r := ev.Response
			final = &r
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if len(types) < 4 || types[0] != "response.created" || types[1] != "response.in_progress" || final == nil {
		t.Fatalf("events %v", types)
	}
	return text.String(), final
}
