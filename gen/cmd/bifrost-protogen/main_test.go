package main

import (
	"testing"
)

// TestGeneratedFresh fails when the committed .pb.go files differ from what the .proto
// makes now (run make gen). It runs the plugins, which go builds once.
func TestGeneratedFresh(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go tool protoc-gen-go; skipped with -short")
	}
	t.Chdir("../../..")
	if err := run(true); err != nil {
		t.Fatal(err)
	}
}
