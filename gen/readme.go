package gen

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/bifrost-gw/bifrost/gen/spec"
)

// The README's providers table lives between these markers; `make gen` rewrites it from the
// specs so that it always says what the adapters do.
const (
	readmeFile  = "README.md"
	tableStart  = "<!-- providers:start (written by make gen from specs/) -->"
	tableEnd    = "<!-- providers:end -->"
	opsColumns  = "chat | stream | text | embeddings | models"
	checkMark   = "yes"
	missingMark = "-"
)

// ProvidersTable renders the markdown table of providers and their operations.
func ProvidersTable(specs []*spec.Spec) string {
	var b strings.Builder
	b.WriteString("| provider | name in `provider/model` | " + opsColumns + " | default base URL | API reference |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range specs {
		base := "`" + s.BaseURL + "`"
		if s.BaseURLRequired {
			base = "set `network_config.base_url`"
		}
		fmt.Fprintf(&b, "| %s | `%s` |", s.Title, s.Name)
		for _, ops := range [][]spec.Operation{{spec.OpChat}, {spec.OpChatStream, spec.OpTextStream}, {spec.OpText}, {spec.OpEmbedding}, {spec.OpModels}} {
			mark := missingMark
			for _, op := range ops {
				if s.Supports(op) {
					mark = checkMark
				}
			}
			b.WriteString(" " + mark + " |")
		}
		fmt.Fprintf(&b, " %s | [docs](%s) |\n", base, s.Docs)
	}
	return b.String()
}

// readme returns the README under root with its providers table rewritten, or nil when the
// README has no markers.
func readme(root string, specs []*spec.Spec) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(root, readmeFile))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", readmeFile, err)
	}
	i := bytes.Index(data, []byte(tableStart))
	j := bytes.Index(data, []byte(tableEnd))
	if i < 0 || j < i {
		return nil, nil
	}
	var out bytes.Buffer
	out.Write(data[:i+len(tableStart)])
	out.WriteString("\n" + ProvidersTable(specs))
	out.Write(data[j:])
	return out.Bytes(), nil
}
