package runtime

import (
	"encoding/base64"
	"encoding/binary"
	"math"
	"testing"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
)

func TestBase64Embeddings(t *testing.T) {
	want := func(fs ...float32) string {
		b := make([]byte, 0, 4*len(fs))
		for _, f := range fs {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
		}
		return `"` + base64.StdEncoding.EncodeToString(b) + `"`
	}
	for _, tc := range []struct {
		name, format, raw, want string
	}{
		{"floats to base64", "base64", `[0.0023, -0.0093,1.5e-3 ,2]`, want(0.0023, -0.0093, 1.5e-3, 2)},
		{"one value", "base64", `[1]`, want(1)},
		{"five values (padding)", "base64", `[1,2,3,4,5]`, want(1, 2, 3, 4, 5)},
		{"empty", "base64", `[]`, `""`},
		{"already base64", "base64", `"AACAPw=="`, `"AACAPw=="`},
		{"float asked", "float", `[1,2]`, `[1,2]`},
		{"nothing asked", "", `[1,2]`, `[1,2]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCall()
			c.Embedding.EncodingFormat = tc.format
			c.EmbeddingResp.Data = append(c.EmbeddingResp.Data, schemas.Embedding{Embedding: schemas.Raw(tc.raw)}, schemas.Embedding{Embedding: schemas.Raw(tc.raw)})
			if err := c.base64Embeddings(); err != nil {
				t.Fatal(err)
			}
			for i, e := range c.EmbeddingResp.Data {
				if string(e.Embedding) != tc.want {
					t.Errorf("data[%d] = %s, want %s", i, e.Embedding, tc.want)
				}
			}
		})
	}
	c := newCall()
	c.Embedding.EncodingFormat = "base64"
	c.EmbeddingResp.Data = append(c.EmbeddingResp.Data, schemas.Embedding{Embedding: schemas.Raw(`[1,"x"]`)})
	if err := c.base64Embeddings(); err == nil {
		t.Error("a non-number was accepted")
	}
}
