package mocks

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"testing"

	"github.com/valyala/fasthttp"
)

type embeddingList struct {
	Object string `json:"object"`
	Data   []struct {
		Object    string          `json:"object"`
		Index     int             `json:"index"`
		Embedding json.RawMessage `json:"embedding"`
	} `json:"data"`
	Model string `json:"model"`
	Usage struct {
		PromptTokens int `json:"prompt_tokens"`
		TotalTokens  int `json:"total_tokens"`
	} `json:"usage"`
}

// vectors decodes each embedding, float or base64, into float32s.
func (l *embeddingList) vectors(t *testing.T, base64Encoded bool) [][]float32 {
	t.Helper()
	out := make([][]float32, len(l.Data))
	for i, d := range l.Data {
		if !base64Encoded {
			decode(t, d.Embedding, &out[i])
			continue
		}
		var s string
		decode(t, d.Embedding, &s)
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(raw)%4 != 0 {
			t.Fatalf("embedding %d: bad base64 (%v, %d bytes)", i, err, len(raw))
		}
		for j := 0; j < len(raw); j += 4 {
			out[i] = append(out[i], math.Float32frombits(binary.LittleEndian.Uint32(raw[j:])))
		}
	}
	return out
}

func TestEmbeddings(t *testing.T) {
	s := newServer(t, Config{})
	tests := []struct {
		name   string
		input  string
		extra  string
		count  int
		dims   int
		base64 bool
	}{
		{"string", `"hello"`, ``, 1, 1536, false},
		{"strings", `["hello","world","again"]`, ``, 3, 1536, false},
		{"tokens", `[15339, 1917]`, ``, 1, 1536, false},
		{"token arrays", `[[15339],[1917, 3],[1]]`, ``, 3, 1536, false},
		{"dimensions", `["a","b"]`, `,"dimensions":256`, 2, 256, false},
		{"float format", `"a"`, `,"encoding_format":"float"`, 1, 1536, false},
		{"base64", `["hello","world"]`, `,"encoding_format":"base64"`, 2, 1536, true},
		{"base64 dimensions", `"hello"`, `,"encoding_format":"base64","dimensions":64`, 1, 64, true},
		{"null extras", `"hello"`, `,"dimensions":null,"encoding_format":null,"user":"u1"`, 1, 1536, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, s, "POST", "/v1/embeddings", `{"model":"text-embedding-3-small","input":`+tt.input+tt.extra+`}`, "")
			if r.status != fasthttp.StatusOK {
				t.Fatalf("status %d, body %s", r.status, r.body)
			}
			if got := keysOf(t, r.body); got != "data,model,object,usage" {
				t.Errorf("members %q", got)
			}
			var l embeddingList
			decode(t, r.body, &l)
			if l.Object != "list" || l.Model != "text-embedding-3-small" || len(l.Data) != tt.count {
				t.Fatalf("object %q, model %q, %d embeddings; want %d", l.Object, l.Model, len(l.Data), tt.count)
			}
			if l.Usage.PromptTokens <= 0 || l.Usage.TotalTokens != l.Usage.PromptTokens {
				t.Errorf("usage %+v", l.Usage)
			}
			for i, vec := range l.vectors(t, tt.base64) {
				if l.Data[i].Object != "embedding" || l.Data[i].Index != i {
					t.Errorf("embedding %d: object %q, index %d", i, l.Data[i].Object, l.Data[i].Index)
				}
				if len(vec) != tt.dims {
					t.Errorf("embedding %d has %d dimensions, want %d", i, len(vec), tt.dims)
				}
				norm := 0.0
				for _, f := range vec {
					norm += float64(f) * float64(f)
				}
				if math.Abs(norm-1) > 1e-3 {
					t.Errorf("embedding %d has squared norm %v, want 1", i, norm)
				}
			}
		})
	}
}

func TestEmbeddingsDeterministic(t *testing.T) {
	a := newServer(t, Config{})
	b := newServer(t, Config{Seed: 99})
	get := func(s *Server, body string, base64Encoded bool) [][]float32 {
		var l embeddingList
		decode(t, call(t, s, "POST", "/embeddings", body, "").body, &l)
		return l.vectors(t, base64Encoded)
	}
	x := get(a, `{"model":"m","input":["same","other","same"]}`, false)
	y := get(b, `{"model":"m","input":["same","other","same"]}`, false)
	z := get(a, `{"model":"m","input":["same","other","same"],"encoding_format":"base64"}`, true)
	for i := range x {
		for j := range x[i] {
			if x[i][j] != y[i][j] || x[i][j] != z[i][j] {
				t.Fatalf("embedding %d differs at %d: %v %v %v", i, j, x[i][j], y[i][j], z[i][j])
			}
		}
	}
	if x[0][0] != x[2][0] || x[0][0] == x[1][0] {
		t.Errorf("equal inputs should give equal vectors, different inputs different ones")
	}
}

func TestEmbeddingDimensionsDefault(t *testing.T) {
	s := newServer(t, Config{EmbeddingDimensions: 3072})
	var l embeddingList
	decode(t, call(t, s, "POST", "/v1/embeddings", `{"model":"text-embedding-3-large","input":"x"}`, "").body, &l)
	if v := l.vectors(t, false); len(v) != 1 || len(v[0]) != 3072 {
		t.Errorf("got %d vectors of %d dimensions, want 1 of 3072", len(v), len(v[0]))
	}
}
