package runtime

import (
	"strconv"
	"testing"

	"github.com/bifrost-gw/bifrost/adapters/anthropic"
	"github.com/bifrost-gw/bifrost/adapters/bedrock"
	"github.com/bifrost-gw/bifrost/adapters/convert"
	"github.com/bifrost-gw/bifrost/adapters/gemini"
	"github.com/bifrost-gw/bifrost/adapters/vertex"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
)

// TestModelDenied: the 403s and 404s that refuse one model for the key, in each provider's
// own error shape decoded by its adapter, are told apart from those that say the key is bad.
func TestModelDenied(t *testing.T) {
	type decoder func(status int, body []byte, out *schemas.ErrorBody)
	cases := []struct {
		name   string
		decode decoder
		status int
		body   string
		want   bool
	}{
		{"openai 403 project without access", convert.DecodeOpenAIError, 403,
			`{"error":{"message":"Project ` + "`proj_abc`" + ` does not have access to model ` + "`gpt-4-32k`" + `","type":"invalid_request_error","param":null,"code":"model_not_found"}}`, true},
		{"openai 404 model does not exist", convert.DecodeOpenAIError, 404,
			`{"error":{"message":"The model ` + "`gpt-5-turbo`" + ` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}`, true},
		{"openai-compatible 404 message only", convert.DecodeOpenAIError, 404,
			`{"error":{"message":"The model ` + "`llama-9`" + ` does not exist or you do not have access to it.","type":"invalid_request_error"}}`, true},
		{"openai 401 invalid key", convert.DecodeOpenAIError, 401,
			`{"error":{"message":"Incorrect API key provided: sk-abc***wxyz.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`, false},
		{"openai 403 region", convert.DecodeOpenAIError, 403,
			`{"error":{"code":"unsupported_country_region_territory","message":"Country, region, or territory not supported","param":null,"type":"request_forbidden"}}`, false},
		{"openai 404 unknown url", convert.DecodeOpenAIError, 404,
			`{"error":{"message":"Invalid URL (POST /v1/chat/completion)","type":"invalid_request_error","param":null,"code":null}}`, false},
		{"openai 400 model_not_found is not a 403/404", convert.DecodeOpenAIError, 400,
			`{"error":{"message":"bad","type":"invalid_request_error","code":"model_not_found"}}`, false},
		{"anthropic 404 model", anthropic.Codec{}.DecodeError, 404,
			`{"type":"error","error":{"type":"not_found_error","message":"model: claude-3-opus-20990101"}}`, true},
		{"anthropic 403 permission", anthropic.Codec{}.DecodeError, 403,
			`{"type":"error","error":{"type":"permission_error","message":"Your API key does not have permission to use the specified resource."}}`, false},
		{"anthropic 401", anthropic.Codec{}.DecodeError, 401,
			`{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`, false},
		{"azure 404 deployment", convert.DecodeOpenAIError, 404,
			`{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again."}}`, true},
		{"azure 401", convert.DecodeOpenAIError, 401,
			`{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint."}}`, false},
		{"bedrock 403 model access", bedrock.Codec{}.DecodeError, 403,
			`{"message":"You don't have access to the model with the specified model ID."}`, true},
		{"bedrock 403 bad token", bedrock.Codec{}.DecodeError, 403,
			`{"message":"The security token included in the request is invalid."}`, false},
		{"bedrock 403 signature", bedrock.Codec{}.DecodeError, 403,
			`{"message":"The request signature we calculated does not match the signature you provided."}`, false},
		{"gemini 404 model", gemini.Codec{}.DecodeError, 404,
			`{"error":{"code":404,"message":"models/gemini-9.0-pro is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.","status":"NOT_FOUND"}}`, true},
		{"gemini 403 unregistered caller", gemini.Codec{}.DecodeError, 403,
			`{"error":{"code":403,"message":"Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.","status":"PERMISSION_DENIED"}}`, false},
		{"vertex 404 publisher model", vertex.Codec{}.DecodeError, 404,
			`{"error":{"code":404,"message":"Publisher Model ` + "`projects/p/locations/us-central1/publishers/google/models/gemini-x`" + ` was not found or your project does not have access to it. Please ensure you are using a valid model version.","status":"NOT_FOUND"}}`, true},
		{"vertex 403 project permission", vertex.Codec{}.DecodeError, 403,
			`{"error":{"code":403,"message":"Permission 'aiplatform.endpoints.predict' denied on resource '//aiplatform.googleapis.com/projects/p/locations/us-central1/publishers/google/models/gemini-x' (or it may not exist).","status":"PERMISSION_DENIED"}}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b schemas.ErrorBody
			tc.decode(tc.status, []byte(tc.body), &b)
			if got := modelDenied(tc.status, &b); got != tc.want {
				t.Errorf("modelDenied(%d, %+v) = %v, want %v", tc.status, b, got, tc.want)
			}
		})
	}
}

// TestPickKeyPassesOverDenials: a key that refused a model is not picked for that model while
// another key is usable, and still is for other models; when every key refused the model, a
// key is picked anyway (the provider answers for itself), and never one that is cooling.
func TestPickKeyPassesOverDenials(t *testing.T) {
	p := keysOf(1, 1, 1)
	p.denyModel(0, "m", 0)
	seen := map[int]bool{}
	for i := 0; i < 200; i++ {
		k, _, _ := p.pickKey("m", -1, 1)
		if k == 0 || k < 0 {
			t.Fatalf("pickKey(m) = %d with key 0 denied for m", k)
		}
		k, _, _ = p.pickKey("other", -1, 1)
		seen[k] = true
	}
	if !seen[0] {
		t.Error("key 0 was never picked for another model: the denial cooled it")
	}
	p.denyModel(1, "m", 0)
	p.denyModel(2, "m", 0)
	if k, _, _ := p.pickKey("m", -1, 1); k < 0 {
		t.Fatalf("every key denied m: pickKey = %d, want a key anyway", k)
	}
	p.coolKey(1, 429, 0, 0)
	for i := 0; i < 50; i++ {
		if k, _, _ := p.pickKey("m", -1, 1); k == 1 || k < 0 {
			t.Fatalf("every key denied m, key 1 cooling: pickKey = %d", k)
		}
	}
	if !p.deniedModel(2, "m", 1) || p.deniedModel(2, "other", 1) {
		t.Error("deniedModel does not match the denials made")
	}
	// A denial ends with the auth cooldown.
	after := int64(p.authCooldown) + 1
	if p.deniedModel(0, "m", after) || p.denials.active(after) {
		t.Error("a denial outlived the auth cooldown")
	}
	if got := p.stats.keyCooldowns.Load(); got != 1 {
		t.Errorf("keyCooldowns = %d, want 1: denials cool no key", got)
	}
}

// TestDenialsBounded: the denial table holds at most denialSlots entries however many
// models are refused, and forgets the denial that ends soonest first.
func TestDenialsBounded(t *testing.T) {
	var d denials
	for i := 0; i < 10*denialSlots; i++ {
		d.add("key", 7, "model-"+strconv.Itoa(i), int64(i+1))
	}
	n := 0
	for i := range d.slots {
		if d.slots[i].Load() != nil {
			n++
		}
	}
	if n > denialSlots {
		t.Fatalf("%d entries", n)
	}
	last := "model-" + strconv.Itoa(10*denialSlots-1)
	if !d.has("key", 7, last, hashString(last), 0) {
		t.Error("the newest denial was evicted")
	}
	if d.has("key", 7, "model-0", hashString("model-0"), 0) {
		t.Error("the oldest denial survived 10 tables' worth of newer ones")
	}
}
