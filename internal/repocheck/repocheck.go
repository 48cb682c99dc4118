// Package repocheck holds the structural rules of this repository that a reviewer would
// otherwise check by hand, as functions over Go source files: file and function sizes, the
// import direction between adapters/ and the engine, and provider names kept out of
// runtime/. Its test runs them on the repository, so `go test ./internal/repocheck` fails
// when a change breaks one of them.
//
// The rules apply to hand-written code: files without the standard "Code generated ... DO
// NOT EDIT." header (https://pkg.go.dev/cmd/go#hdr-Generate_Go_files_by_processing_source),
// and not tests. Directories are skipped as the go command skips them: testdata, and names
// that begin with "." or "_".
package repocheck

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Limits of hand-written code (the repository's style rules).
const (
	MaxFileLines = 600
	MaxFuncLines = 80
)

// File is a parsed hand-written, non-test Go file.
type File struct {
	Path  string // slash-separated, relative to the root it was found under
	Lines int    // number of lines
	Fset  *token.FileSet
	AST   *ast.File
}

// Violation is one broken rule at a place in a file.
type Violation struct {
	Pos  string // path:line
	Rule string
	What string
}

func (v Violation) String() string { return v.Pos + ": " + v.Rule + ": " + v.What }

// Path returns the file of the violation.
func (v Violation) Path() string { return v.Pos[:strings.LastIndexByte(v.Pos, ':')] }

// generated matches the line that marks a generated Go file.
var generated = regexp.MustCompile(`^// Code generated .* DO NOT EDIT\.$`)

// IsGenerated reports whether src carries the generated-code header before its package clause.
func IsGenerated(src []byte) bool {
	s := bufio.NewScanner(bytes.NewReader(src))
	s.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for s.Scan() {
		line := s.Text()
		if generated.MatchString(line) {
			return true
		}
		if strings.HasPrefix(line, "package ") {
			return false
		}
	}
	return false
}

// HandWritten parses every hand-written, non-test Go file under root/dir (dir may be ".").
func HandWritten(root, dir string) ([]File, error) {
	var files []File
	err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != filepath.Join(root, dir) && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if IsGenerated(src) {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, src, parser.ParseComments)
		if err != nil {
			return fmt.Errorf("repocheck: %w", err)
		}
		rel, _ := filepath.Rel(root, path)
		files = append(files, File{Path: filepath.ToSlash(rel), Lines: bytes.Count(src, []byte("\n")), Fset: fset, AST: f})
		return nil
	})
	return files, err
}

// pos returns "path:line" for p in f.
func (f File) pos(p token.Pos) string {
	return fmt.Sprintf("%s:%d", f.Path, f.Fset.Position(p).Line)
}

// Sizes reports files over MaxFileLines lines and functions (declarations, with their doc
// comments left out) over MaxFuncLines lines, from their "func" line to their closing brace.
func Sizes(files []File) []Violation {
	var out []Violation
	for _, f := range files {
		if f.Lines > MaxFileLines {
			out = append(out, Violation{f.Path + ":1", "file size", fmt.Sprintf("%d lines, over %d", f.Lines, MaxFileLines)})
		}
		for _, d := range f.AST.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			n := f.Fset.Position(fn.End()).Line - f.Fset.Position(fn.Type.Func).Line + 1
			if n > MaxFuncLines {
				out = append(out, Violation{f.pos(fn.Pos()), "function size", fmt.Sprintf("%s is %d lines, over %d", funcName(fn), n, MaxFuncLines)})
			}
		}
	}
	return out
}

// funcName returns Name or Recv.Name.
func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	t := fn.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if ix, ok := t.(*ast.IndexExpr); ok {
		t = ix.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name + "." + fn.Name.Name
	}
	return fn.Name.Name
}

// Imports reports each import of one of the banned paths (exact matches only).
func Imports(files []File, banned ...string) []Violation {
	var out []Violation
	for _, f := range files {
		for _, imp := range f.AST.Imports {
			p := strings.Trim(imp.Path.Value, "`\"")
			for _, b := range banned {
				if p == b {
					out = append(out, Violation{f.pos(imp.Pos()), "import", "imports " + p})
				}
			}
		}
	}
	return out
}
