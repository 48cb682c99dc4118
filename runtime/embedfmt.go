package runtime

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"unsafe"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
)

// base64Embeddings makes a response honour encoding_format "base64" when the provider
// answered with float arrays (providers without the option, such as Gemini and Vertex AI):
// each vector becomes the base64 string of its little-endian float32 values, as OpenAI
// sends it (https://platform.openai.com/docs/api-reference/embeddings/create). The strings
// live in c.embBuf, reused across requests.
func (c *Call) base64Embeddings() error {
	if c.Embedding.EncodingFormat != "base64" {
		return nil
	}
	need := 0
	for i := range c.EmbeddingResp.Data {
		if raw := c.EmbeddingResp.Data[i].Embedding; len(raw) > 0 && raw[0] == '[' {
			need += base64.StdEncoding.EncodedLen(4*(countCommas(raw)+1)) + 2
		}
	}
	if need == 0 {
		return nil
	}
	if cap(c.embBuf) < need {
		c.embBuf = make([]byte, 0, need)
	}
	buf := c.embBuf[:0]
	for i := range c.EmbeddingResp.Data {
		e := &c.EmbeddingResp.Data[i]
		if len(e.Embedding) == 0 || e.Embedding[0] != '[' {
			continue
		}
		start := len(buf)
		buf = append(buf, '"')
		var err error
		buf, err = appendBase64Floats(buf, e.Embedding)
		if err != nil {
			return fmt.Errorf("embedding %d: %w", i, err)
		}
		buf = append(buf, '"')
		e.Embedding = schemas.Raw(buf[start:len(buf):len(buf)])
	}
	c.embBuf = buf
	return nil
}

func countCommas(b []byte) int {
	n := 0
	for _, c := range b {
		if c == ',' {
			n++
		}
	}
	return n
}

// appendBase64Floats appends the base64 encoding of the float32 values of the JSON number
// array arr to dst.
func appendBase64Floats(dst, arr []byte) ([]byte, error) {
	var group [3]byte // base64 works in 3-byte groups: encode as they fill
	n := 0
	var enc [4]byte
	flush := func(bs []byte) {
		base64.StdEncoding.Encode(enc[:], bs)
		dst = append(dst, enc[:base64.StdEncoding.EncodedLen(len(bs))]...)
	}
	body := arr[1 : len(arr)-1]
	for len(body) > 0 {
		j := 0
		for j < len(body) && body[j] != ',' {
			j++
		}
		tok := trimSpace(body[:j])
		if j < len(body) {
			body = body[j+1:]
		} else {
			body = body[j:]
		}
		if len(tok) == 0 {
			continue
		}
		f, err := strconv.ParseFloat(unsafe.String(&tok[0], len(tok)), 32)
		if err != nil {
			return dst, fmt.Errorf("not a number: %.20q", tok)
		}
		var le [4]byte
		binary.LittleEndian.PutUint32(le[:], math.Float32bits(float32(f)))
		for _, b := range le {
			group[n] = b
			n++
			if n == 3 {
				flush(group[:])
				n = 0
			}
		}
	}
	if n > 0 {
		flush(group[:n])
	}
	return dst, nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\n' || b[0] == '\r' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}
