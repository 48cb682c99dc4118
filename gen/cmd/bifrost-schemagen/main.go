// Command bifrost-schemagen writes the easyjson marshalers of the unified schema
// (runtime/schemas). It is the first step of `make gen` and imports nothing of the schema
// itself, so it runs even when the schema's marshalers are stale; bifrost-gen, the second
// step, reflects over the schema types and needs them compiled.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/bifrost-gw/bifrost/gen/ejson"
)

// schemasDir is the unified schema's package, relative to the repository root.
const schemasDir = "runtime/schemas"

func main() {
	root := flag.String("root", ".", "repository root")
	flag.Parse()
	if _, err := ejson.Run(filepath.Join(*root, schemasDir)); err != nil {
		fmt.Fprintln(os.Stderr, "bifrost-schemagen:", err)
		os.Exit(1)
	}
}
