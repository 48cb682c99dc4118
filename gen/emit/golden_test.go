package emit_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/gen/emit"
	"github.com/bifrost-gw/bifrost/gen/spec"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ from what Generate makes now")

// A golden case is a folder testdata/<case>/ with
//
//	spec/*.yaml    the input specs, read as the repository's specs/*.yaml
//	golden/...     every file Generate makes, at its path relative to the repository root
//	easyjson.txt   Output.EasyJSON, one directory per line
//
// `go test ./gen/emit -update` rewrites golden/ and easyjson.txt.

func goldenCases(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join("testdata", "*", "spec"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases under testdata/ (%v)", err)
	}
	var cases []string
	for _, d := range dirs {
		cases = append(cases, filepath.Dir(d))
	}
	sort.Strings(cases)
	return cases
}

// generateCase parses, resolves and generates the specs of one case, as `make gen` does.
func generateCase(t *testing.T, dir string) *emit.Output {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "spec", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no specs in %s/spec (%v)", dir, err)
	}
	var specs []*spec.Spec
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s, err := spec.Parse("specs/"+filepath.Base(f), data)
		if err != nil {
			t.Fatal(err)
		}
		specs = append(specs, s)
	}
	resolved, err := spec.Resolve(specs)
	if err != nil {
		t.Fatal(err)
	}
	out, err := emit.Generate(resolved)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// readTree returns the files under dir by slash-separated path relative to dir.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && path == dir {
				return nil
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out[filepath.ToSlash(rel)] = data
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func easyJSONText(dirs []string) []byte {
	if len(dirs) == 0 {
		return nil
	}
	return []byte(strings.Join(dirs, "\n") + "\n")
}

func writeGolden(t *testing.T, dir string, out *emit.Output) {
	t.Helper()
	golden := filepath.Join(dir, "golden")
	if err := os.RemoveAll(golden); err != nil {
		t.Fatal(err)
	}
	for path, data := range out.Files {
		full := filepath.Join(golden, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "easyjson.txt"), easyJSONText(out.EasyJSON), 0o644); err != nil {
		t.Fatal(err)
	}
}

// firstDiff describes the first line where got and want differ.
func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl || i >= len(g) || i >= len(w) {
			return fmt.Sprintf("line %d:\n got: %q\nwant: %q", i+1, gl, wl)
		}
	}
	return "no difference"
}

// TestGolden compares, byte for byte, what Generate makes from each case's specs with the
// case's golden files.
func TestGolden(t *testing.T) {
	for _, dir := range goldenCases(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			out := generateCase(t, dir)
			if *update {
				writeGolden(t, dir, out)
				return
			}
			const hint = " (run go test ./gen/emit -update and review the diff)"
			want := readTree(t, filepath.Join(dir, "golden"))
			if len(want) == 0 {
				t.Fatalf("%s/golden is empty%s", dir, hint)
			}
			var paths []string
			for path := range out.Files {
				paths = append(paths, path)
			}
			sort.Strings(paths)
			for _, path := range paths {
				w, ok := want[path]
				switch {
				case !ok:
					t.Errorf("Generate makes %s, which has no golden file%s", path, hint)
				case !bytes.Equal(out.Files[path], w):
					t.Errorf("%s differs from its golden file at %s%s", path, firstDiff(out.Files[path], w), hint)
				}
			}
			for path := range want {
				if _, ok := out.Files[path]; !ok {
					t.Errorf("golden file %s is not generated any more%s", path, hint)
				}
			}
			wantEJ, err := os.ReadFile(filepath.Join(dir, "easyjson.txt"))
			if err != nil {
				t.Fatal(err)
			}
			if got := easyJSONText(out.EasyJSON); !bytes.Equal(got, wantEJ) {
				t.Errorf("EasyJSON = %q, want %q%s", got, wantEJ, hint)
			}
		})
	}
}

// TestGenerateIsDeterministic generates every case twice from freshly parsed specs.
func TestGenerateIsDeterministic(t *testing.T) {
	for _, dir := range goldenCases(t) {
		a, b := generateCase(t, dir), generateCase(t, dir)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: two runs of Generate differ", dir)
		}
	}
}

// TestGeneratedHeader checks that every generated file starts with the header Go tools
// recognise.
func TestGeneratedHeader(t *testing.T) {
	re := regexp.MustCompile(`(?m)^// Code generated .* DO NOT EDIT\.$`)
	for _, dir := range goldenCases(t) {
		for path, data := range generateCase(t, dir).Files {
			if !bytes.HasPrefix(data, []byte("// Code generated by bifrost gen. DO NOT EDIT.\n")) || !re.Match(data) {
				t.Errorf("%s/%s does not start with the generated-code header", dir, path)
			}
		}
	}
}

var wireTypeRE = regexp.MustCompile(`(?m)^type (\w+) struct`)

// TestGoldenCompiles builds the golden packages of every case inside this module, with
// `go build -overlay`, so that nothing is written to the repository. Packages with wire types
// get a stand-in for the easyjson marshalers (easyjson itself is too slow for unit tests).
func TestGoldenCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("builds packages with the go command")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command in PATH")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range goldenCases(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			tmp := t.TempDir()
			golden, err := filepath.Abs(filepath.Join(dir, "golden"))
			if err != nil {
				t.Fatal(err)
			}
			replace := map[string]string{}
			pkgs := map[string]bool{}
			for path, data := range readTree(t, golden) {
				replace[filepath.Join(root, filepath.FromSlash(path))] = filepath.Join(golden, filepath.FromSlash(path))
				pkgs[emit.Module+"/"+filepath.ToSlash(filepath.Dir(path))] = true
				if filepath.Base(path) != "wire_gen.go" {
					continue
				}
				stub := fmt.Sprintf("package %s\n\nimport \"github.com/mailru/easyjson/jwriter\"\n", filepath.Base(filepath.Dir(path)))
				for _, m := range wireTypeRE.FindAllSubmatch(data, -1) {
					stub += fmt.Sprintf("\nfunc (x *%s) MarshalEasyJSON(w *jwriter.Writer) {}\n", m[1])
				}
				stubFile := filepath.Join(tmp, strings.ReplaceAll(path, "/", "_")+".stub.go")
				if err := os.WriteFile(stubFile, []byte(stub), 0o644); err != nil {
					t.Fatal(err)
				}
				replace[filepath.Join(root, filepath.FromSlash(filepath.Dir(path)), "zz_easyjson_stand_in.go")] = stubFile
			}
			overlay, err := json.Marshal(map[string]any{"Replace": replace})
			if err != nil {
				t.Fatal(err)
			}
			overlayFile := filepath.Join(tmp, "overlay.json")
			if err := os.WriteFile(overlayFile, overlay, 0o644); err != nil {
				t.Fatal(err)
			}
			args := []string{"build", "-overlay", overlayFile}
			for p := range pkgs {
				args = append(args, p)
			}
			sort.Strings(args[3:])
			cmd := exec.Command(goBin, args...)
			cmd.Dir = root
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		})
	}
}
