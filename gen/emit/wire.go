package emit

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/bifrost-gw/bifrost/gen/spec"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/dave/jennifer/jen"
	"github.com/mailru/easyjson"
)

// unifiedTypes are the unified request types a spec may map, by name.
var unifiedTypes = map[string]reflect.Type{
	"ChatRequest":      reflect.TypeOf(schemas.ChatRequest{}),
	"TextRequest":      reflect.TypeOf(schemas.TextRequest{}),
	"EmbeddingRequest": reflect.TypeOf(schemas.EmbeddingRequest{}),
}

// gatewayFields are unified fields that are never sent to a provider.
var gatewayFields = map[string]bool{"provider": true, "fallbacks": true}

var optionalIface = reflect.TypeOf((*easyjson.Optional)(nil)).Elem()

func wireName(op string) string { return op + "Request" }

// field is one member of a unified request type.
type field struct {
	goName string
	json   string
	opts   string // tag options after the name, e.g. ",omitempty,nocopy"
	typ    reflect.Type
}

func unifiedFields(t reflect.Type) []field {
	var out []field
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if sf.Anonymous {
			continue
		}
		tag := sf.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if opts != "" {
			opts = "," + opts
		}
		out = append(out, field{goName: sf.Name, json: name, opts: opts, typ: sf.Type})
	}
	return out
}

// mappingPlan is a request mapping checked against the fields of the unified type.
type mappingPlan struct {
	fields    []field            // the unified type's fields
	dropped   map[string]bool    // fields never sent
	merged    map[string][]field // renamed fields that fill a kept field when it is absent
	renamedTo map[string]string  // renamed fields and their new names
	froms     []string           // the renamed fields, sorted
}

// checkMapping checks m against the unified type: fields that exist and are not the
// gateway's, distinct rename targets, and merged fields of one type that can be absent.
func checkMapping(s *spec.Spec, op, unified string, m *spec.Mapping) (*mappingPlan, error) {
	t := unifiedTypes[unified]
	fields := unifiedFields(t)
	byJSON := map[string]field{}
	var known []string
	for _, f := range fields {
		byJSON[f.json] = f
		if !gatewayFields[f.json] {
			known = append(known, f.json)
		}
	}
	sort.Strings(known)
	bad := func(reason string) error {
		return &spec.Error{File: s.File, Line: m.Line, Reason: fmt.Sprintf("request.%s: %s", op, reason)}
	}
	dropped := map[string]bool{}
	for _, d := range m.Drop {
		if _, ok := byJSON[d]; !ok || gatewayFields[d] {
			return nil, bad(fmt.Sprintf("drop: unknown field %q (fields: %s)", d, strings.Join(known, ", ")))
		}
		dropped[d] = true
	}
	// merged[target] lists renamed fields that fill target when it is absent.
	merged := map[string][]field{}
	renamedTo := map[string]string{}
	var froms []string
	for from := range m.Rename {
		froms = append(froms, from)
	}
	sort.Strings(froms)
	targets := map[string]string{}
	for _, from := range froms {
		to := m.Rename[from]
		src, ok := byJSON[from]
		if !ok || gatewayFields[from] {
			return nil, bad(fmt.Sprintf("rename: unknown field %q (fields: %s)", from, strings.Join(known, ", ")))
		}
		if prev, dup := targets[to]; dup {
			return nil, bad(fmt.Sprintf("rename: %q and %q both become %q", prev, from, to))
		}
		targets[to] = from
		if dst, clash := byJSON[to]; clash && !dropped[to] && m.Rename[to] == "" {
			if dst.typ != src.typ {
				return nil, bad(fmt.Sprintf("rename: %q (%s) cannot fill %q (%s): types differ", from, src.typ, to, dst.typ))
			}
			if !reflect.PointerTo(dst.typ).Implements(optionalIface) {
				return nil, bad(fmt.Sprintf("rename: %q cannot fill %q: it has no notion of absent", from, to))
			}
			merged[to] = append(merged[to], src)
			continue
		}
		renamedTo[from] = to
	}
	return &mappingPlan{fields: fields, dropped: dropped, merged: merged, renamedTo: renamedTo, froms: froms}, nil
}

// wireStruct emits the wire type for one operation's request and its conversion from the
// unified type: fields dropped, renamed, or merged into a kept field of the new name (used when
// that field is absent).
func wireStruct(s *spec.Spec, op, unified string, m *spec.Mapping) (jen.Code, error) {
	p, err := checkMapping(s, op, unified, m)
	if err != nil {
		return nil, err
	}
	fields, dropped, merged, renamedTo, froms := p.fields, p.dropped, p.merged, p.renamedTo, p.froms
	name := wireName(op)
	var structFields, conv []jen.Code
	var written []jen.Code // JSON names the wire type writes, which extras must not repeat
	for _, f := range fields {
		if gatewayFields[f.json] || dropped[f.json] {
			continue
		}
		if _, isMerged := m.Rename[f.json]; isMerged && renamedTo[f.json] == "" {
			continue // fills another field
		}
		jsonName := f.json
		if to := renamedTo[f.json]; to != "" {
			jsonName = to
		}
		structFields = append(structFields, jen.Id(f.goName).Add(typeCode(f.typ)).Tag(map[string]string{"json": jsonName + f.opts}))
		written = append(written, jen.Lit(jsonName))
		if srcs := merged[f.json]; len(srcs) > 0 {
			stmt := jen.If(jen.Id("r").Dot(f.goName).Dot("IsDefined").Call()).Block(
				jen.Id("x").Dot(f.goName).Op("=").Id("r").Dot(f.goName),
			)
			for _, src := range srcs {
				stmt = stmt.Else().If(jen.Id("r").Dot(src.goName).Dot("IsDefined").Call()).Block(
					jen.Id("x").Dot(f.goName).Op("=").Id("r").Dot(src.goName),
				)
			}
			conv = append(conv, stmt)
			continue
		}
		conv = append(conv, jen.Id("x").Dot(f.goName).Op("=").Id("r").Dot(f.goName))
	}
	structFields = append(structFields, jen.Qual(schemasPkg, "Extras"))
	conv = append(conv, jen.Id("x").Dot("Extras").Op("=").Id("r").Dot("Extras"))

	var doc []string
	for _, from := range froms {
		doc = append(doc, fmt.Sprintf("%s -> %s", from, m.Rename[from]))
	}
	return jen.Commentf("%s is %s's %s request body: the unified %s", name, s.Title, op, unified).Line().
		Commentf("with dropped fields [%s] and renamed fields [%s].", strings.Join(m.Drop, ", "), strings.Join(doc, ", ")).Line().
		Comment("").Line().
		Comment("//easyjson:json").Line().
		Type().Id(name).Struct(structFields...).Line().Line().
		Commentf("from fills x from the unified request r, borrowing its values.").Line().
		Func().Params(jen.Id("x").Op("*").Id(name)).Id("from").Params(jen.Id("r").Op("*").Qual(schemasPkg, unified)).Block(conv...).Line().Line().
		Commentf("%sFields are the members %s writes; unknown members of these names are not repeated.", name, name).Line().
		Var().Id(name+"Fields").Op("=").Index().String().Values(written...).Line().Line().
		Comment("MarshalUnknowns writes the client's unknown members, except those the wire type writes itself.").Line().
		Func().Params(jen.Id("x").Id(name)).Id("MarshalUnknowns").Params(jen.Id("out").Op("*").Qual(jwriterPkg, "Writer"), jen.Id("first").Bool()).Block(
		jen.Id("x").Dot("Extras").Dot("MarshalUnknownsExcept").Call(jen.Id("out"), jen.Id("first"), jen.Id(name+"Fields")),
	), nil
}

// typeCode renders a Go type seen by reflection.
func typeCode(t reflect.Type) jen.Code {
	if t.Name() != "" {
		if t.PkgPath() == "" {
			return jen.Id(t.Name())
		}
		return jen.Qual(t.PkgPath(), t.Name())
	}
	switch t.Kind() {
	case reflect.Pointer:
		return jen.Op("*").Add(typeCode(t.Elem()))
	case reflect.Slice:
		return jen.Index().Add(typeCode(t.Elem()))
	case reflect.Map:
		return jen.Map(typeCode(t.Key())).Add(typeCode(t.Elem()))
	}
	panic(fmt.Sprintf("emit: unsupported field type %s", t))
}
