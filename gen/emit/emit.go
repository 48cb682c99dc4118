// Package emit compiles validated provider specs into Go source with jennifer.
//
// Generate is a pure function: specs in, file contents out, keyed by path relative to the
// repository root. It writes nothing; package gen writes the files and runs easyjson on the
// packages that declare wire types.
package emit

import (
	"bytes"
	"fmt"
	"go/format"
	"sort"
	"strings"

	"github.com/bifrost-gw/bifrost/gen/ejson"
	"github.com/bifrost-gw/bifrost/gen/spec"
	"github.com/dave/jennifer/jen"
)

// Module is the Go module the generated code belongs to.
const Module = "github.com/bifrost-gw/bifrost"

const (
	providerPkg = Module + "/runtime/provider"
	schemasPkg  = Module + "/runtime/schemas"
	convertPkg  = Module + "/adapters/convert"
	jwriterPkg  = "github.com/mailru/easyjson/jwriter"
	jlexerPkg   = "github.com/mailru/easyjson/jlexer"
)

// AdaptersDir is where generated adapter packages go, relative to the repository root: one
// folder per provider, shared with the provider's hand-written codec.
const AdaptersDir = spec.AdaptersDir

// Output is the generator's result.
type Output struct {
	// Files maps a path relative to the repository root to its content.
	Files map[string][]byte
	// EasyJSON lists the package directories (relative to the root) whose //easyjson:json
	// types need marshalers, sorted: adapters with generated wire types, and the folders of
	// the hand-written codecs that specs name.
	EasyJSON []string
}

// Generate compiles specs (already resolved, sorted by name) into adapter packages and the
// registry.
func Generate(specs []*spec.Spec) (*Output, error) {
	out := &Output{Files: map[string][]byte{}}
	for _, s := range specs {
		pkgDir := AdaptersDir + "/" + s.Name
		main, wire, err := adapterFiles(s)
		if err != nil {
			return nil, err
		}
		if err := out.add(pkgDir+"/"+s.Name+"_gen.go", main); err != nil {
			return nil, err
		}
		if wire != nil {
			if err := out.add(pkgDir+"/wire_gen.go", wire); err != nil {
				return nil, err
			}
			out.EasyJSON = append(out.EasyJSON, pkgDir)
		}
	}
	homes := map[string]bool{}
	for _, s := range specs {
		if s.Codec != "" && !homes[s.CodecHome] {
			homes[s.CodecHome] = true
			out.EasyJSON = append(out.EasyJSON, AdaptersDir+"/"+s.CodecHome)
		}
	}
	if err := out.add(AdaptersDir+"/registry_gen.go", registry(specs)); err != nil {
		return nil, err
	}
	sort.Strings(out.EasyJSON)
	return out, nil
}

// add renders f, replaces jennifer's header line with ours and gofmts the result.
func (o *Output) add(path string, f *jen.File) error {
	var buf bytes.Buffer
	if err := f.Render(&buf); err != nil {
		return fmt.Errorf("render %s: %w", path, err)
	}
	src, err := format.Source(buf.Bytes())
	if err != nil {
		return fmt.Errorf("gofmt %s: %w", path, err)
	}
	o.Files[path] = src
	return nil
}

func newFile(pkgPath, name string) *jen.File {
	f := jen.NewFilePathName(pkgPath, name)
	f.HeaderComment(ejson.Header)
	return f
}

var opConst = map[spec.Operation]string{
	spec.OpChat: "OpChat", spec.OpChatStream: "OpChatStream", spec.OpText: "OpText",
	spec.OpTextStream: "OpTextStream", spec.OpEmbedding: "OpEmbedding", spec.OpModels: "OpModels",
	spec.OpCountTokens: "OpCountTokens", spec.OpResponses: "OpResponses", spec.OpResponsesStream: "OpResponsesStream",
}

func adapterFiles(s *spec.Spec) (main, wire *jen.File, err error) {
	pkgPath := Module + "/" + AdaptersDir + "/" + s.Name
	f := newFile(pkgPath, s.Name)
	if s.Codec == "" || s.CodecHome != s.Name {
		// A folder with a hand-written codec documents the package in its own doc comment.
		f.PackageComment(fmt.Sprintf("Package %s is Bifrost's adapter for %s (wire format %s), generated from %s.", s.Name, s.Title, s.Format, specPath(s)))
		f.PackageComment("")
		f.PackageComment("API reference: " + s.Docs)
	} else {
		f.HeaderComment(fmt.Sprintf("The adapter for %s (wire format %s), generated from %s; the package's doc comment", s.Title, s.Format, specPath(s)))
		f.HeaderComment("is in the hand-written code beside it. API reference: " + s.Docs)
	}

	f.Add(infoVar(s))
	f.Line()
	f.Comment(fmt.Sprintf("Adapter converts between Bifrost's unified schema and %s's wire format.", s.Title))
	f.Type().Id("Adapter").Struct()
	f.Line()
	f.Var().Id("_").Qual(providerPkg, "Adapter").Op("=").Id("Adapter").Values()
	f.Line()
	f.Comment(fmt.Sprintf("Info describes %s.", s.Title))
	f.Func().Params(jen.Id("Adapter")).Id("Info").Params().Op("*").Qual(providerPkg, "Info").Block(
		jen.Return(jen.Op("&").Id("info")),
	)

	if s.Codec != "" {
		codecMethods(f, s)
		return f, nil, nil
	}
	wire, err = openAIMethods(f, s, pkgPath)
	if err != nil {
		return nil, nil, err
	}
	return f, wire, nil
}

// openAIMethods writes the methods of an adapter of the openai format: requests pass through
// or are mapped field by field (their wire types go to the returned file, nil when there are
// none), and answers, stream events and errors are OpenAI's.
func openAIMethods(f *jen.File, s *spec.Spec, pkgPath string) (*jen.File, error) {
	wire := newFile(pkgPath, s.Name)
	wireTypes := 0
	for _, op := range []struct {
		name, method, unified string
		supported             bool
	}{
		{"chat", "EncodeChat", "ChatRequest", s.Supports(spec.OpChat)},
		{"text", "EncodeText", "TextRequest", s.Supports(spec.OpText)},
		{"embedding", "EncodeEmbedding", "EmbeddingRequest", s.Supports(spec.OpEmbedding)},
	} {
		m := s.Requests[op.name]
		if op.supported && m != nil {
			decl, err := wireStruct(s, op.name, op.unified, m)
			if err != nil {
				return nil, err
			}
			wire.Add(decl)
			wireTypes++
		}
		f.Line()
		f.Add(encodeMethod(s, op.method, op.unified, op.name, op.supported, m != nil))
	}
	for _, d := range []struct {
		method, unified string
		supported       bool
	}{
		{"DecodeChat", "ChatResponse", s.Supports(spec.OpChat)},
		{"DecodeText", "TextResponse", s.Supports(spec.OpText)},
		{"DecodeEmbedding", "EmbeddingResponse", s.Supports(spec.OpEmbedding)},
		{"DecodeModels", "ModelList", s.Supports(spec.OpModels)},
	} {
		f.Line()
		f.Add(decodeMethod(s, d.method, d.unified, d.supported))
	}
	for _, d := range []struct {
		method, unified, helper string
		supported               bool
	}{
		{"DecodeChatEvent", "ChatStreamChunk", "OpenAIChatEvent", s.Supports(spec.OpChatStream)},
		{"DecodeTextEvent", "TextResponse", "OpenAITextEvent", s.Supports(spec.OpTextStream)},
	} {
		f.Line()
		sig := eventSig(d.method, d.unified)
		if !d.supported {
			f.Commentf("%s reports that %s does not support the operation.", d.method, s.Title).Line().
				Add(sig).Block(jen.Return(jen.Qual(providerPkg, "StepError"), jen.Qual(providerPkg, "ErrUnsupported")))
			continue
		}
		f.Commentf("%s reads one event of a %s stream into out, borrowing from it.", d.method, s.Title).Line().
			Add(sig).Block(jen.Return(jen.Qual(convertPkg, d.helper).Call(jen.Id("ev"), jen.Id("out"))))
	}
	f.Line()
	f.Comment("DecodeError reads an error body in the format's error shape.")
	f.Func().Params(jen.Id("Adapter")).Id("DecodeError").Params(
		jen.Id("status").Int(), jen.Id("body").Index().Byte(), jen.Id("out").Op("*").Qual(schemasPkg, "ErrorBody"),
	).Block(
		jen.Qual(convertPkg, "DecodeOpenAIError").Call(jen.Id("status"), jen.Id("body"), jen.Id("out")),
	)
	if wireTypes == 0 {
		return nil, nil
	}
	return wire, nil
}

// eventSig is the signature of a stream decoder method.
func eventSig(method, unified string) *jen.Statement {
	return jen.Func().Params(jen.Id("Adapter")).Id(method).Params(
		jen.Id("ev").Qual(providerPkg, "Event"), jen.Id("st").Op("*").Qual(providerPkg, "StreamState"),
		jen.Id("out").Op("*").Qual(schemasPkg, unified),
	).Params(jen.Qual(providerPkg, "Step"), jen.Error())
}

// codecMethods writes the methods of an adapter whose format is converted by a hand-written
// codec: the type the spec names (s.Codec), declared in the folder of the spec that defines
// the format (the spec itself, or a compat spec's base). Each supported operation calls the
// codec's method of the contract (runtime/provider's ChatCodec, EmbeddingCodec,
// ModelsDecoder); each other one reports ErrUnsupported.
func codecMethods(f *jen.File, s *spec.Spec) {
	pkg := Module + "/" + AdaptersDir + "/" + s.CodecHome
	codec := func() *jen.Statement { return jen.Qual(pkg, s.Codec).Values() }
	name := s.Codec
	if s.CodecHome != s.Name {
		name = s.CodecHome + "." + s.Codec
	}
	w := func() jen.Code { return jen.Id("w").Op("*").Qual(jwriterPkg, "Writer") }
	body := func() jen.Code { return jen.Id("body").Index().Byte() }
	for _, m := range []struct {
		method    string
		params    []jen.Code
		args      []string
		supported bool
	}{
		{"EncodeChat", []jen.Code{w(), jen.Id("r").Op("*").Qual(schemasPkg, "ChatRequest")}, []string{"w", "r"}, s.Supports(spec.OpChat)},
		{"DecodeChat", []jen.Code{body(), jen.Id("out").Op("*").Qual(schemasPkg, "ChatResponse")}, []string{"body", "out"}, s.Supports(spec.OpChat)},
		{"DecodeChatEvent", nil, []string{"ev", "st", "out"}, s.Supports(spec.OpChatStream)},
		{"EncodeText", []jen.Code{w(), jen.Id("r").Op("*").Qual(schemasPkg, "TextRequest")}, []string{"w", "r"}, s.Supports(spec.OpText)},
		{"DecodeText", []jen.Code{body(), jen.Id("out").Op("*").Qual(schemasPkg, "TextResponse")}, []string{"body", "out"}, s.Supports(spec.OpText)},
		{"DecodeTextEvent", nil, []string{"ev", "st", "out"}, s.Supports(spec.OpTextStream)},
		{"EncodeEmbedding", []jen.Code{w(), jen.Id("r").Op("*").Qual(schemasPkg, "EmbeddingRequest")}, []string{"w", "r"}, s.Supports(spec.OpEmbedding)},
		{"DecodeEmbedding", []jen.Code{body(), jen.Id("out").Op("*").Qual(schemasPkg, "EmbeddingResponse")}, []string{"body", "out"}, s.Supports(spec.OpEmbedding)},
		{"DecodeModels", []jen.Code{body(), jen.Id("out").Op("*").Qual(schemasPkg, "ModelList")}, []string{"body", "out"}, s.Supports(spec.OpModels)},
	} {
		f.Line()
		var sig *jen.Statement
		event := m.method == "DecodeChatEvent" || m.method == "DecodeTextEvent"
		if event {
			unified := "ChatStreamChunk"
			if m.method == "DecodeTextEvent" {
				unified = "TextResponse"
			}
			sig = eventSig(m.method, unified)
		} else {
			sig = jen.Func().Params(jen.Id("Adapter")).Id(m.method).Params(m.params...).Error()
		}
		var args []jen.Code
		for _, a := range m.args {
			args = append(args, jen.Id(a))
		}
		switch {
		case !m.supported && event:
			f.Commentf("%s reports that %s does not support the operation.", m.method, s.Title).Line().
				Add(sig).Block(jen.Return(jen.Qual(providerPkg, "StepError"), jen.Qual(providerPkg, "ErrUnsupported")))
		case !m.supported:
			f.Commentf("%s reports that %s does not support the operation.", m.method, s.Title).Line().
				Add(sig).Block(jen.Return(jen.Qual(providerPkg, "ErrUnsupported")))
		default:
			f.Commentf("%s calls the hand-written codec's %s (%s, named by specs/%s.yaml).", m.method, m.method, name, s.CodecHome).Line().
				Add(sig).Block(jen.Return(codec().Dot(m.method).Call(args...)))
		}
	}
	f.Line()
	f.Commentf("DecodeError calls the hand-written codec's DecodeError (%s, named by specs/%s.yaml).", name, s.CodecHome)
	f.Func().Params(jen.Id("Adapter")).Id("DecodeError").Params(
		jen.Id("status").Int(), jen.Id("body").Index().Byte(), jen.Id("out").Op("*").Qual(schemasPkg, "ErrorBody"),
	).Block(
		codec().Dot("DecodeError").Call(jen.Id("status"), jen.Id("body"), jen.Id("out")),
	)
}

func specPath(s *spec.Spec) string { return "specs/" + s.Name + ".yaml" }

// authDict returns the fields of the provider's provider.Auth.
func authDict(s *spec.Spec) jen.Dict {
	auth := jen.Dict{}
	switch s.Auth.Scheme {
	case spec.AuthSigV4, spec.AuthGoogleOAuth:
		// By name: the runtime makes each key's authorizer with the implementation
		// registered under it (runtime/auth).
		auth[jen.Id("Scheme")] = jen.Lit(s.Auth.Scheme)
		if s.Auth.Service != "" {
			auth[jen.Id("Service")] = jen.Lit(s.Auth.Service)
		}
	case spec.AuthBearer:
		auth[jen.Id("Header")] = jen.Lit("Authorization")
		auth[jen.Id("Prefix")] = jen.Lit("Bearer ")
	case spec.AuthHeader:
		auth[jen.Id("Header")] = jen.Lit(s.Auth.Header)
		if s.Auth.Prefix != "" {
			auth[jen.Id("Prefix")] = jen.Lit(s.Auth.Prefix)
		}
	}
	return auth
}

func infoVar(s *spec.Spec) jen.Code {
	auth := authDict(s)
	paths := jen.Dict{}
	for _, op := range s.Operations {
		paths[jen.Qual(providerPkg, opConst[op])] = jen.Lit(s.Paths[op])
	}
	fields := jen.Dict{
		jen.Id("Name"):   jen.Lit(s.Name),
		jen.Id("Title"):  jen.Lit(s.Title),
		jen.Id("Format"): jen.Lit(s.Format),
		jen.Id("Auth"):   jen.Qual(providerPkg, "Auth").Values(auth),
		jen.Id("Paths"):  jen.Index(jen.Qual(providerPkg, "NumOps")).String().Values(paths),
		jen.Id("Docs"):   jen.Lit(s.Docs),
	}
	if s.BaseURL != "" {
		fields[jen.Id("DefaultBaseURL")] = jen.Lit(s.BaseURL)
	}
	if s.BaseURLRequired {
		fields[jen.Id("BaseURLRequired")] = jen.True()
	}
	if len(s.BaseURLs) > 0 {
		bases := jen.Dict{}
		for op, u := range s.BaseURLs {
			bases[jen.Qual(providerPkg, opConst[op])] = jen.Lit(u)
		}
		fields[jen.Id("DefaultBaseURLs")] = jen.Index(jen.Qual(providerPkg, "NumOps")).String().Values(bases)
	}
	if s.APIVersion != "" {
		fields[jen.Id("APIVersion")] = jen.Lit(s.APIVersion)
	}
	if s.Stream != "" && s.Stream != spec.StreamSSE {
		// By name: the runtime reads the stream with the framer registered under it
		// (runtime/framing).
		fields[jen.Id("Framing")] = jen.Lit(s.Stream)
	}
	if s.KeyOptional {
		fields[jen.Id("KeyOptional")] = jen.True()
	}
	if s.KeyConfig != "" {
		fields[jen.Id("KeyConfig")] = jen.Op("&").Qual(Module+"/"+AdaptersDir+"/"+s.Name, s.KeyConfig)
	}
	if v := verbatimOps(s); len(v) > 0 {
		fields[jen.Id("Verbatim")] = jen.Index(jen.Qual(providerPkg, "NumOps")).Bool().Values(v)
	}
	if len(s.ModelPaths) > 0 {
		var routes []jen.Code
		for _, mp := range s.ModelPaths {
			rp := jen.Dict{}
			for _, op := range spec.Operations {
				if p, ok := mp.Paths[op]; ok {
					rp[jen.Qual(providerPkg, opConst[op])] = jen.Lit(p)
				}
			}
			route := jen.Dict{
				jen.Id("Prefix"): jen.Lit(mp.Prefix),
				jen.Id("Paths"):  jen.Index(jen.Qual(providerPkg, "NumOps")).String().Values(rp),
			}
			if mp.Codec != "" {
				route[jen.Id("Codec")] = jen.Qual(Module+"/"+AdaptersDir+"/"+s.Name, mp.Codec).Values()
			}
			routes = append(routes, jen.Values(route))
		}
		fields[jen.Id("ModelPaths")] = jen.Index().Qual(providerPkg, "ModelRoute").Values(routes...)
	}
	if len(s.Headers) > 0 {
		var hs []jen.Code
		for _, h := range s.Headers {
			hs = append(hs, jen.Values(jen.Dict{jen.Id("Name"): jen.Lit(h.Name), jen.Id("Value"): jen.Lit(h.Value)}))
		}
		fields[jen.Id("Headers")] = jen.Index().Qual(providerPkg, "Header").Values(hs...)
	}
	return jen.Comment(fmt.Sprintf("info describes %s; it is never modified.", s.Title)).Line().
		Var().Id("info").Op("=").Qual(providerPkg, "Info").Values(fields)
}

// verbatimOps lists the operations of an openai-format spec that its requests do not map
// (no rename or drop): their bodies and answers are the unified format as they are.
func verbatimOps(s *spec.Spec) jen.Dict {
	v := jen.Dict{}
	if s.Format != "openai" {
		return v
	}
	for _, o := range []struct {
		op      spec.Operation
		request string
	}{
		{spec.OpChat, "chat"}, {spec.OpChatStream, "chat"}, {spec.OpText, "text"}, {spec.OpTextStream, "text"},
		{spec.OpEmbedding, "embedding"},
		// The Responses API has no mapping: it is only ever forwarded as the client sent it.
		{spec.OpResponses, "responses"}, {spec.OpResponsesStream, "responses"},
	} {
		if s.Supports(o.op) && s.Requests[o.request] == nil {
			v[jen.Qual(providerPkg, opConst[o.op])] = jen.True()
		}
	}
	return v
}

func encodeMethod(s *spec.Spec, method, unified, op string, supported, mapped bool) jen.Code {
	sig := jen.Func().Params(jen.Id("Adapter")).Id(method).Params(
		jen.Id("w").Op("*").Qual(jwriterPkg, "Writer"), jen.Id("r").Op("*").Qual(schemasPkg, unified),
	).Error()
	switch {
	case !supported:
		return jen.Commentf("%s reports that %s has no %s operation.", method, s.Title, op).Line().
			Add(sig).Block(jen.Return(jen.Qual(providerPkg, "ErrUnsupported")))
	case mapped:
		wt := wireName(op)
		return jen.Commentf("%s writes %s's %s request body, as mapped by %s.", method, s.Title, op, specPath(s)).Line().
			Add(sig).Block(
			jen.Var().Id("x").Id(wt),
			jen.Id("x").Dot("from").Call(jen.Id("r")),
			jen.Id("x").Dot("MarshalEasyJSON").Call(jen.Id("w")),
			jen.Return(jen.Nil()),
		)
	default:
		return jen.Commentf("%s writes %s's %s request body: the unified request as it is.", method, s.Title, op).Line().
			Add(sig).Block(
			jen.Id("r").Dot("MarshalEasyJSON").Call(jen.Id("w")),
			jen.Return(jen.Nil()),
		)
	}
}

func decodeMethod(s *spec.Spec, method, unified string, supported bool) jen.Code {
	sig := jen.Func().Params(jen.Id("Adapter")).Id(method).Params(
		jen.Id("body").Index().Byte(), jen.Id("out").Op("*").Qual(schemasPkg, unified),
	).Error()
	if !supported {
		return jen.Commentf("%s reports that %s does not support the operation.", method, s.Title).Line().
			Add(sig).Block(jen.Return(jen.Qual(providerPkg, "ErrUnsupported")))
	}
	return jen.Commentf("%s reads a %s body into out, borrowing from body.", method, s.Title).Line().
		Add(sig).Block(
		jen.Id("l").Op(":=").Qual(jlexerPkg, "Lexer").Values(jen.Dict{jen.Id("Data"): jen.Id("body")}),
		jen.Id("out").Dot("UnmarshalEasyJSON").Call(jen.Op("&").Id("l")),
		jen.Id("l").Dot("Consumed").Call(),
		jen.Return(jen.Id("l").Dot("Error").Call()),
	)
}

func registry(specs []*spec.Spec) *jen.File {
	f := newFile(Module+"/"+AdaptersDir, "adapters")
	f.PackageComment("Package adapters lists Bifrost's provider adapters, one package per spec under specs/.")
	var items []jen.Code
	var names []string
	for _, s := range specs {
		items = append(items, jen.Qual(Module+"/"+AdaptersDir+"/"+s.Name, "Adapter").Values())
		names = append(names, s.Name)
	}
	f.Comment("All returns an adapter for every provider spec, sorted by name: " + strings.Join(names, ", ") + ".")
	f.Func().Id("All").Params().Index().Qual(providerPkg, "Adapter").Block(
		jen.Return(jen.Index().Qual(providerPkg, "Adapter").Values(items...)),
	)
	return f
}
