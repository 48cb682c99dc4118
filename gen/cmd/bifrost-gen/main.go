// Command bifrost-gen compiles the provider specs under specs/ into adapters/ and writes the
// easyjson marshalers of their wire types; it is the second step of `make gen`, after
// bifrost-schemagen. With -check it writes nothing and exits 1 when the
// generated files are stale.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/bifrost-gw/bifrost/gen"
)

func main() {
	root := flag.String("root", ".", "repository root")
	check := flag.Bool("check", false, "report stale generated files instead of writing them")
	flag.Parse()
	if err := run(*root, *check); err != nil {
		fmt.Fprintln(os.Stderr, "bifrost-gen:", err)
		os.Exit(1)
	}
}

func run(root string, check bool) error {
	plan, err := gen.MakePlan(root)
	if err != nil {
		return err
	}
	if check {
		if diffs := plan.Check(root); len(diffs) > 0 {
			for _, d := range diffs {
				fmt.Fprintln(os.Stderr, d)
			}
			return fmt.Errorf("%d generated files are stale: run make gen", len(diffs))
		}
		return nil
	}
	if err := plan.Write(root); err != nil {
		return err
	}
	fmt.Printf("bifrost-gen: %d generated files, %d stale removed, easyjson for %d adapter packages\n", len(plan.Files), len(plan.Stale), len(plan.EasyJSON))
	return nil
}
