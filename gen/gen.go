// Package gen is Bifrost's code generator: it reads the provider specs under specs/, validates
// them all, compiles them into adapter packages under adapters/ (package emit, on jennifer) and
// runs easyjson for every package that declares wire types. The unified schema's marshalers
// are written before, by cmd/bifrost-schemagen, because this package reflects over the schema
// types and so needs them to compile; Check covers them too.
//
// It writes all files or none: nothing is written until every spec is valid and every file has
// been produced. Generated files that no spec produces any more are deleted. The generator owns
// only the files that start with its header (ejson.Header): a provider's folder also holds
// hand-written files (the codec a spec names), which it never writes over nor deletes.
package gen

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/bifrost-gw/bifrost/gen/ejson"
	"github.com/bifrost-gw/bifrost/gen/emit"
	"github.com/bifrost-gw/bifrost/gen/spec"
)

// SchemasDir holds the hand-written unified types; bifrost-schemagen writes their marshalers.
const SchemasDir = "runtime/schemas"

// LoadSpecs parses and resolves every specs/*.yaml file under root.
func LoadSpecs(root string) ([]*spec.Spec, error) {
	files, err := filepath.Glob(filepath.Join(root, "specs", "*.yaml"))
	if err != nil {
		return nil, fmt.Errorf("list specs: %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no specs in %s", filepath.Join(root, "specs"))
	}
	sort.Strings(files)
	var specs []*spec.Spec
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read spec: %w", err)
		}
		rel, _ := filepath.Rel(root, f)
		s, err := spec.Parse(rel, data)
		if err != nil {
			return nil, err
		}
		specs = append(specs, s)
	}
	return spec.Resolve(specs)
}

// Plan is what a run of the generator produces, before anything is written.
type Plan struct {
	// Files maps a path relative to the root to its content.
	Files map[string][]byte
	// Stale lists generated files on disk that no spec produces any more.
	Stale []string
	// EasyJSON lists adapter package directories whose marshalers easyjson writes.
	EasyJSON []string
}

// MakePlan loads the specs under root and computes every file the generator owns.
func MakePlan(root string) (*Plan, error) {
	specs, err := LoadSpecs(root)
	if err != nil {
		return nil, err
	}
	out, err := emit.Generate(specs)
	if err != nil {
		return nil, err
	}
	p := &Plan{Files: out.Files, EasyJSON: out.EasyJSON}
	readme, err := readme(root, specs)
	if err != nil {
		return nil, err
	}
	if readme != nil {
		p.Files[readmeFile] = readme
	}
	if err := checkCodecs(root, specs); err != nil {
		return nil, err
	}
	if err := checkHandWritten(root, p); err != nil {
		return nil, err
	}
	owned, err := generatedFiles(filepath.Join(root, emit.AdaptersDir))
	if err != nil {
		return nil, err
	}
	easy := map[string]bool{}
	for _, d := range out.EasyJSON {
		easy[d] = true
	}
	for _, f := range owned {
		rel, _ := filepath.Rel(root, f)
		rel = filepath.ToSlash(rel)
		if _, ok := p.Files[rel]; ok {
			continue
		}
		if strings.HasSuffix(rel, "_easyjson.go") && easy[filepath.ToSlash(filepath.Dir(rel))] {
			continue
		}
		p.Stale = append(p.Stale, rel)
	}
	sort.Strings(p.Stale)
	return p, nil
}

// checkCodecs checks that the codec each base spec names is a type declared in a hand-written
// file of the spec's folder, and that the key config a spec names is a variable declared
// there.
func checkCodecs(root string, specs []*spec.Spec) error {
	for _, s := range specs {
		if s.Codec != "" && s.CodecHome == s.Name {
			found, err := declaredIn(root, s.Name, `(?m)^type `+regexp.QuoteMeta(s.Codec)+`\b`)
			if err != nil {
				return err
			}
			if !found {
				return &spec.Error{File: s.File, Line: s.Line("codec"), Reason: fmt.Sprintf("codec %s is not declared in %s/%s/: a hand-written file there must declare type %s (see runtime/provider.ChatCodec)", s.Codec, emit.AdaptersDir, s.Name, s.Codec)}
			}
		}
		if s.KeyConfig != "" {
			found, err := declaredIn(root, s.Name, `(?m)^var `+regexp.QuoteMeta(s.KeyConfig)+`\b`)
			if err != nil {
				return err
			}
			if !found {
				return &spec.Error{File: s.File, Line: s.Line("key_config"), Reason: fmt.Sprintf("key_config %s is not declared in %s/%s/: a hand-written file there must declare var %s (a runtime/provider.KeyConfigSpec)", s.KeyConfig, emit.AdaptersDir, s.Name, s.KeyConfig)}
			}
		}
	}
	return nil
}

// declaredIn reports whether a hand-written (not generated, not test) Go file in provider
// name's folder matches the declaration pattern decl.
func declaredIn(root, name, decl string) (bool, error) {
	re := regexp.MustCompile(decl)
	files, _ := filepath.Glob(filepath.Join(root, emit.AdaptersDir, name, "*.go"))
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return false, fmt.Errorf("read %s: %w", f, err)
		}
		if !bytes.HasPrefix(data, []byte(ejson.Header)) && re.Match(data) {
			return true, nil
		}
	}
	return false, nil
}

// checkHandWritten refuses a plan that would write over a hand-written file: a Go file the
// plan makes, or the easyjson output of a package, that exists without the generated header
// (an easyjson stub, which a failed run leaves, is not hand-written).
func checkHandWritten(root string, p *Plan) error {
	var paths []string
	for path := range p.Files {
		if strings.HasSuffix(path, ".go") {
			paths = append(paths, path)
		}
	}
	for _, dir := range p.EasyJSON {
		paths = append(paths, dir+"/"+filepath.Base(dir)+"_easyjson.go")
	}
	sort.Strings(paths)
	for _, path := range paths {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(path)))
		if err == nil && !bytes.HasPrefix(data, []byte(ejson.Header)) && !ejson.IsStub(data) {
			return fmt.Errorf("%s is written by hand (it lacks the header %q): the generator will not write over it; rename it", path, ejson.Header)
		}
	}
	return nil
}

// generatedFiles lists the .go files under dir that carry the generated-code header.
func generatedFiles(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.HasPrefix(data, []byte(ejson.Header)) {
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", dir, err)
	}
	return out, nil
}

// Write writes the plan's files under root, deletes stale ones and runs easyjson.
func (p *Plan) Write(root string) error {
	paths := make([]string, 0, len(p.Files))
	for path := range p.Files {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	for _, path := range paths {
		full := filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		if old, err := os.ReadFile(full); err == nil && bytes.Equal(old, p.Files[path]) {
			continue
		}
		if err := os.WriteFile(full, p.Files[path], 0o644); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	for _, path := range p.Stale {
		if err := os.Remove(filepath.Join(root, path)); err != nil {
			return fmt.Errorf("remove stale %s: %w", path, err)
		}
	}
	removeEmptyDirs(filepath.Join(root, emit.AdaptersDir))
	for _, dir := range p.EasyJSON {
		if _, err := ejson.Run(filepath.Join(root, dir)); err != nil {
			return err
		}
	}
	return nil
}

func removeEmptyDirs(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		sub := filepath.Join(dir, e.Name())
		removeEmptyDirs(sub)
		if rest, err := os.ReadDir(sub); err == nil && len(rest) == 0 {
			os.Remove(sub)
		}
	}
}

// Check compares the plan with the files under root and describes every difference: files
// missing or different, stale generated files, and easyjson output that is missing or a stub.
// easyjson output is checked for presence only; `make gen` followed by a clean `git status`
// checks its content.
func (p *Plan) Check(root string) []string {
	var diffs []string
	paths := make([]string, 0, len(p.Files))
	for path := range p.Files {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	for _, path := range paths {
		old, err := os.ReadFile(filepath.Join(root, path))
		switch {
		case err != nil:
			diffs = append(diffs, path+": missing")
		case !bytes.Equal(old, p.Files[path]):
			diffs = append(diffs, path+": differs from what the specs generate")
		}
	}
	for _, path := range p.Stale {
		diffs = append(diffs, path+": generated, but no spec produces it any more")
	}
	for _, dir := range append([]string{SchemasDir}, p.EasyJSON...) {
		matches, _ := filepath.Glob(filepath.Join(root, dir, "*_easyjson.go"))
		if len(matches) == 0 {
			diffs = append(diffs, dir+": easyjson marshalers missing")
		}
		for _, m := range matches {
			if data, err := os.ReadFile(m); err == nil && ejson.IsStub(data) {
				rel, _ := filepath.Rel(root, m)
				diffs = append(diffs, rel+": easyjson stub (its marshalers do nothing)")
			}
		}
	}
	return diffs
}
