// Package spec reads and validates Bifrost provider specs: the YAML files under specs/ that
// say, as data, how one provider differs from the others. specs/README.md documents the format.
//
// Parsing keeps the line of every value, so that every problem is reported as
// "file:line: reason". Validation checks one spec on its own (Parse) and a whole set together
// (Resolve: compat bases, duplicate names).
package spec

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Operation names an operation a provider supports.
type Operation string

// The operations of spec format v1, in the order generated code lists them.
const (
	OpChat       Operation = "chat"
	OpChatStream Operation = "chat_stream"
	OpText       Operation = "text"
	OpTextStream Operation = "text_stream"
	OpEmbedding  Operation = "embedding"
	OpModels     Operation = "models"
	// OpCountTokens counts the input tokens of a chat request with the provider's own
	// tokenizer; its body is written by the adapter's hand-written EncodeCountTokens
	// (runtime/provider's TokenCounter).
	OpCountTokens Operation = "count_tokens"
	// OpResponses is OpenAI's Responses API (POST /v1/responses), served natively: the
	// client's body goes to the provider with only the gateway's edits and the answer comes
	// back as the provider sent it (https://platform.openai.com/docs/api-reference/responses).
	// Only a spec of the openai format may list it.
	OpResponses Operation = "responses"
	// OpResponsesStream is the Responses API with "stream": true: the provider's events go
	// to the client as it sent them.
	OpResponsesStream Operation = "responses_stream"
)

// Operations lists every operation in order.
var Operations = []Operation{OpChat, OpChatStream, OpText, OpTextStream, OpEmbedding, OpModels, OpCountTokens, OpResponses, OpResponsesStream}

// requestOps are the operations whose request body a spec may map.
var requestOps = map[string]bool{"chat": true, "text": true, "embedding": true}

// FormatOpenAI is the wire format the generator writes whole: OpenAI's, which is also the
// unified schema, so requests pass through or are mapped field by field (request:). Every
// other format is a base spec with `codec:`, naming the hand-written codec it calls.
const FormatOpenAI = "openai"

// AdaptersDir is where each provider's folder is, relative to the repository root:
// AdaptersDir/<name> holds the code generated from specs/<name>.yaml and, for a format other
// than openai, the hand-written codec that the spec names, side by side.
const AdaptersDir = "adapters"

// Stream framings.
const (
	StreamSSE            = "sse"             // text/event-stream
	StreamAWSEventStream = "aws_eventstream" // application/vnd.amazon.eventstream
)

// Auth schemes.
const (
	AuthBearer      = "bearer"       // Authorization: Bearer <key>
	AuthHeader      = "header"       // <header>: <key>
	AuthNone        = "none"         // no credential
	AuthSigV4       = "sigv4"        // AWS Signature Version 4 (bedrock_key_config)
	AuthGoogleOAuth = "google_oauth" // OAuth2 token from a service account (vertex_key_config)
)

// URL placeholders a base URL or path may use (see runtime/provider.Placeholders).
var Placeholders = []string{"model", "deployment", "api_version", "region", "project", "endpoint"}

// Spec is one provider spec, validated.
type Spec struct {
	// File is the spec's path, as given to Parse.
	File string
	// Name is the provider's name: lower case, the file's base name, and the Go package name.
	Name string
	// Title is the provider's display name.
	Title string
	// Format is set on a family's base spec: the wire format it defines.
	Format string
	// Compat names the base spec whose wire format this provider speaks.
	Compat string
	// Codec names the hand-written Go type that converts a format other than openai: a type
	// declared in the folder of the base spec (AdaptersDir/<CodecHome>) that implements
	// runtime/provider's ChatCodec, and EmbeddingCodec and ModelsDecoder when the spec lists
	// those operations. Compat specs inherit it.
	Codec string
	// CodecHome is the name of the spec whose folder declares Codec: the spec itself, or the
	// base of a compat spec. Set by Resolve.
	CodecHome string
	// Stream is the framing of the provider's streams: StreamSSE (default) or
	// StreamAWSEventStream. Compat specs inherit it unless they set it.
	Stream string
	// APIVersion is the default of the {api_version} placeholder.
	APIVersion string
	// BaseURL is the default base URL the operation paths are appended to. Empty when
	// BaseURLRequired.
	BaseURL string
	// BaseURLRequired says the provider has no default URL (self-hosted): the config must give one.
	BaseURLRequired bool
	// BaseURLs gives some operations another default base URL than BaseURL (a provider whose
	// model list is on another host, as Bedrock's control plane). Not inherited by compat
	// specs.
	BaseURLs map[Operation]string
	// Auth says how a key is sent.
	Auth Auth
	// KeyOptional says a provider may be configured without keys (local servers).
	KeyOptional bool
	// KeyConfig names the hand-written Go variable, declared in the spec's folder, of type
	// runtime/provider.KeyConfigSpec, that declares the provider's key config member (such as
	// azure_key_config: its fields, and how they become the key's settings). Empty: the
	// provider's keys have no settings besides their value. Not inherited by compat specs.
	KeyConfig string
	// Headers are static headers sent with every request, sorted by name.
	Headers []Header
	// Operations are the operations the provider supports, in Operations order.
	Operations []Operation
	// Paths maps each operation to its path below the base URL (inherited from the base spec
	// and overridden by this one).
	Paths map[Operation]string
	// ModelPaths routes some models to other paths, in file order: for a model whose name
	// starts with an entry's Prefix (the first such entry), the entry's paths replace Paths
	// for the operations it gives. Not inherited by compat specs.
	ModelPaths []ModelPaths
	// Requests holds field mappings of request bodies, by operation (chat, text, embedding).
	Requests map[string]*Mapping
	// Docs is the provider API reference the spec was checked against.
	Docs string
	// Notes is free text for readers of the spec.
	Notes string

	lines map[string]int // line of each top-level key, for Resolve's errors
}

// Auth says how a provider key is sent.
type Auth struct {
	Scheme  string // bearer, header, none, sigv4 or google_oauth
	Header  string // header name, for scheme header
	Prefix  string // written before the key, for scheme header
	Service string // AWS service name, for scheme sigv4
}

// Header is a static request header.
type Header struct {
	Name, Value string
}

// ModelPaths is one model_paths entry: the paths of the models whose names start with
// Prefix.
type ModelPaths struct {
	// Prefix starts the model names the entry applies to; never empty.
	Prefix string
	// Paths maps an operation to its path for these models; each operation is one the spec
	// lists.
	Paths map[Operation]string
	// Codec, when set, names the hand-written Go type, declared beside the spec's own codec,
	// that converts these models' chats (runtime/provider's ChatCodec): their requests,
	// answers, stream events and errors. Empty: the spec's codec. Only a spec with a codec
	// of its own may name one.
	Codec string
	// Line is where the entry starts in the spec.
	Line int
}

// Mapping changes a unified request body into a provider's.
type Mapping struct {
	// Rename maps a unified JSON field name to the provider's name for it. When the new name
	// is also a unified field that is kept, the renamed field is used only when that one is
	// absent.
	Rename map[string]string
	// Drop lists unified fields never sent to the provider.
	Drop []string
	// Line is where the mapping starts in the spec.
	Line int
}

// Line returns the line of a top-level key in the spec file, or 0.
func (s *Spec) Line(key string) int { return s.lines[key] }

// Supports reports whether the provider supports op.
func (s *Spec) Supports(op Operation) bool {
	for _, o := range s.Operations {
		if o == op {
			return true
		}
	}
	return false
}

// Error is a problem in a spec, at a line.
type Error struct {
	File   string
	Line   int
	Reason string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Reason)
}

var (
	nameRE   = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	codecRE  = regexp.MustCompile(`^[A-Z][A-Za-z0-9_]*$`)
	headerRE = regexp.MustCompile(`^[A-Za-z0-9-]+$`)
	fieldRE  = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// placeholderRE finds {name} placeholders in URLs.
var placeholderRE = regexp.MustCompile(`\{([^{}]*)\}`)

// checkPlaceholders returns a reason when s uses a placeholder that is not known, or more than
// one of {model} and {deployment}.
func checkPlaceholders(s string) string {
	models := 0
	for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
		if !slices.Contains(Placeholders, m[1]) {
			return fmt.Sprintf("uses unknown placeholder {%s} (known: {%s})", m[1], strings.Join(Placeholders, "}, {"))
		}
		if m[1] == "model" || m[1] == "deployment" {
			models++
		}
	}
	if models > 1 {
		return "uses {model} or {deployment} more than once"
	}
	if strings.Count(s, "{") != strings.Count(s, "}") {
		return "has unbalanced braces"
	}
	return ""
}

// fillPlaceholders replaces placeholders with a sample value, to check the URL's shape.
func fillPlaceholders(s string) string {
	return placeholderRE.ReplaceAllString(s, "x")
}

func checkURL(raw string) string {
	if raw == "{endpoint}" {
		return ""
	}
	if strings.Contains(raw, "{endpoint}") {
		return "may use {endpoint} only as the whole URL"
	}
	if reason := checkPlaceholders(raw); reason != "" {
		return reason
	}
	raw = fillPlaceholders(raw)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "must be an absolute http or https URL"
	}
	if strings.ContainsAny(raw, "?#") || hasControl(raw) {
		return "must not have a query, a fragment or control characters"
	}
	if strings.HasSuffix(raw, "/") {
		return "must not end with /"
	}
	return ""
}

// hasControl reports whether s has a control character (CR and LF included).
func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}

// Resolve checks a set of specs together and completes each compat spec from its base:
// the base must exist and define a format, names must be unique, and paths not given are
// inherited. Specs are returned sorted by name.
func Resolve(specs []*Spec) ([]*Spec, error) {
	byName := map[string]*Spec{}
	for _, s := range specs {
		if prev, ok := byName[s.Name]; ok {
			return nil, &Error{File: s.File, Line: s.Line("name"), Reason: fmt.Sprintf("provider %q is already defined in %s", s.Name, prev.File)}
		}
		byName[s.Name] = s
	}
	out := make([]*Spec, 0, len(specs))
	for _, s := range specs {
		if s.Compat != "" {
			base, ok := byName[s.Compat]
			if !ok || base.Compat != "" {
				var bases []string
				for _, b := range specs {
					if b.Compat == "" {
						bases = append(bases, b.Name)
					}
				}
				sort.Strings(bases)
				return nil, &Error{File: s.File, Line: s.Line("compat"), Reason: fmt.Sprintf("compat %q is not a base spec (bases: %s)", s.Compat, strings.Join(bases, ", "))}
			}
			s.Format, s.Codec = base.Format, base.Codec
			if s.Codec != "" {
				s.CodecHome = base.Name
			}
			if s.Stream == "" {
				s.Stream = base.Stream
			}
			if s.APIVersion == "" {
				s.APIVersion = base.APIVersion
			}
			for op, p := range base.Paths {
				if _, ok := s.Paths[op]; !ok {
					s.Paths[op] = p
				}
			}
		}
		if s.Stream == "" {
			s.Stream = StreamSSE
		}
		if s.Compat == "" && s.Codec != "" {
			s.CodecHome = s.Name
		}
		if s.Format != FormatOpenAI && len(s.Requests) > 0 {
			return nil, &Error{File: s.File, Line: s.Line("request"), Reason: fmt.Sprintf("request mappings are for the openai format; format %s converts in its codec (%s in %s/%s)", s.Format, s.Codec, AdaptersDir, s.CodecHome)}
		}
		for _, op := range s.Operations {
			if (op == OpResponses || op == OpResponsesStream) && s.Format != FormatOpenAI {
				return nil, &Error{File: s.File, Line: s.Line("operations"), Reason: fmt.Sprintf("operation %s is forwarded as the client sent it: only for the openai format (this is %s)", op, s.Format)}
			}
			if s.Paths[op] == "" {
				return nil, &Error{File: s.File, Line: s.Line("operations"), Reason: fmt.Sprintf("operation %s has no path (give paths.%s, or inherit it with compat)", op, op)}
			}
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
