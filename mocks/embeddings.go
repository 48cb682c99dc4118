package mocks

import (
	"encoding/base64"
	"encoding/binary"
	"math"
	"strconv"
	"time"

	"github.com/mailru/easyjson/jlexer"
	"github.com/valyala/fasthttp"
)

// embeddingsRequest holds what the mock reads from an embeddings request.
// model points into the request body.
type embeddingsRequest struct {
	model      string
	inputs     []textInput
	dimensions int  // 0 means the server's default
	base64     bool // encoding_format "base64"
}

// parseEmbeddingsRequest reads body into req. It returns nil or a 400 to
// answer.
func parseEmbeddingsRequest(body []byte, req *embeddingsRequest) *apiError {
	l := jlexer.Lexer{Data: body}
	hasModel, hasInput := false, false
	l.Delim('{')
	for !l.IsDelim('}') {
		key := l.UnsafeFieldName(false)
		l.WantColon()
		if l.IsNull() {
			l.Skip()
			l.WantComma()
			continue
		}
		switch key {
		case "model":
			req.model = l.UnsafeString()
			hasModel = true
		case "input":
			var err *apiError
			if req.inputs, err = readInputs(&l, "input", req.inputs[:0]); err != nil {
				return err
			}
			hasInput = true
		case "dimensions":
			req.dimensions = l.Int()
			if l.Ok() && (req.dimensions < 1 || req.dimensions > maxEmbeddingDims) {
				return invalidParam("dimensions", "Invalid 'dimensions': expected an integer from 1 to "+strconv.Itoa(maxEmbeddingDims)+".")
			}
		case "encoding_format":
			switch format := l.UnsafeString(); format {
			case "float":
				req.base64 = false
			case "base64":
				req.base64 = true
			default:
				if l.Ok() {
					return invalidParam("encoding_format", "Invalid 'encoding_format': expected 'float' or 'base64'.")
				}
			}
		default:
			skipValue(&l, 1)
		}
		if !l.Ok() {
			return lexError(&l, key)
		}
		l.WantComma()
	}
	l.Delim('}')
	l.Consumed()
	if !l.Ok() {
		return lexError(&l, "")
	}
	if !hasModel || req.model == "" {
		return missingParam("model")
	}
	if !hasInput {
		return missingParam("input")
	}
	if len(req.inputs) > maxEmbeddingInputs {
		return invalidParam("input", "Invalid 'input': at most "+strconv.Itoa(maxEmbeddingInputs)+" inputs are allowed.")
	}
	for _, in := range req.inputs {
		if in.size == 0 {
			return invalidParam("input", "'$.input' is invalid. Inputs must not be empty.")
		}
	}
	return nil
}

// serveEmbeddings answers POST /v1/embeddings with one embedding per
// input. Vectors are deterministic: each depends only on its input and
// length, and has unit length, like OpenAI's.
func (s *Server) serveEmbeddings(ctx *fasthttp.RequestCtx) {
	var req embeddingsRequest
	if err := parseEmbeddingsRequest(ctx.PostBody(), &req); err != nil {
		s.badRequest(ctx, err)
		return
	}
	start := time.Now()
	dims := req.dimensions
	if dims == 0 {
		dims = s.cfg.EmbeddingDimensions
	}
	vec := make([]int32, dims)
	var raw []byte // little-endian float32s, for base64
	if req.base64 {
		raw = make([]byte, 0, 4*dims)
	}
	promptTokens := 0

	ctx.SetContentType(contentTypeJSON)
	buf := ctx.Response.SwapBody(nil)[:0]
	buf = append(buf, `{"object":"list","data":[`...)
	for i, in := range req.inputs {
		promptTokens += in.tokens
		fillEmbedding(vec, in.hash)
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"object":"embedding","index":`...)
		buf = strconv.AppendInt(buf, int64(i), 10)
		buf = append(buf, `,"embedding":`...)
		if req.base64 {
			raw = raw[:0]
			for _, q := range vec {
				f := float32(float64(q) / nanoUnit)
				raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(f))
			}
			buf = append(buf, '"')
			buf = base64.StdEncoding.AppendEncode(buf, raw)
			buf = append(buf, '"')
		} else {
			buf = append(buf, '[')
			for j, q := range vec {
				if j > 0 {
					buf = append(buf, ',')
				}
				buf = appendNano(buf, q)
			}
			buf = append(buf, ']')
		}
		buf = append(buf, '}')
	}
	buf = append(buf, `],"model":`...)
	buf = appendJSONString(buf, req.model)
	buf = append(buf, `,"usage":{"prompt_tokens":`...)
	buf = strconv.AppendInt(buf, int64(promptTokens), 10)
	buf = append(buf, `,"total_tokens":`...)
	buf = strconv.AppendInt(buf, int64(promptTokens), 10)
	buf = append(buf, "}}"...)
	ctx.Response.SwapBody(buf)

	s.sleepUntil(start.Add(s.latency()))
}

// nanoUnit is the number of steps per unit in which embedding values are
// generated: values have nine decimals, so the float and base64 forms of
// a vector decode to the same float32s.
const nanoUnit = 1e9

// fillEmbedding fills v with a unit-length vector derived from seed, in
// units of 1/nanoUnit.
func fillEmbedding(v []int32, seed uint64) {
	sum := 0.0
	for i := range v {
		x := mix64(seed + uint64(i)*0x9e3779b97f4a7c15)
		f := float64(int64(x)) / (1 << 63) // in [-1, 1)
		sum += f * f
	}
	scale := nanoUnit / math.Sqrt(sum)
	for i := range v {
		x := mix64(seed + uint64(i)*0x9e3779b97f4a7c15)
		f := float64(int64(x)) / (1 << 63)
		v[i] = int32(math.Round(f * scale))
	}
}

// appendNano appends q/nanoUnit in decimal with nine decimals, such as
// -0.012345678. It is much cheaper than strconv.AppendFloat.
func appendNano(dst []byte, q int32) []byte {
	u := int64(q)
	if u < 0 {
		dst = append(dst, '-')
		u = -u
	}
	dst = strconv.AppendInt(dst, u/nanoUnit, 10)
	dst = append(dst, '.')
	frac := u % nanoUnit
	var digits [9]byte
	for i := len(digits) - 1; i >= 0; i-- {
		digits[i] = byte('0' + frac%10)
		frac /= 10
	}
	return append(dst, digits[:]...)
}
