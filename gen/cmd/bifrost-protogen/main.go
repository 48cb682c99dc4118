// Command bifrost-protogen generates the Go code of the gateway's protobuf API
// (proto/bifrost/v1/bifrost.proto) without a system protoc: it compiles the .proto with
// github.com/bufbuild/protocompile and runs the protoc-gen-go and protoc-gen-go-grpc
// plugins (pinned as tools in go.mod, run with `go tool`) through protoc's plugin
// protocol: a CodeGeneratorRequest on stdin, a CodeGeneratorResponse on stdout
// (https://protobuf.dev/reference/other/#plugins). Output goes beside the .proto
// (paths=source_relative). The same inputs give the same bytes.
//
//	go run ./gen/cmd/bifrost-protogen            # writes proto/**/*.pb.go
//	go run ./gen/cmd/bifrost-protogen -check     # fails if they are stale
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/pluginpb"
)

// root is the folder of the .proto files, relative to the repository root.
const root = "proto"

// files are the .proto files to generate, relative to root.
var files = []string{"bifrost/v1/bifrost.proto"}

// plugins are the protoc plugins run, as `go tool` names.
var plugins = []string{"protoc-gen-go", "protoc-gen-go-grpc"}

func main() {
	check := flag.Bool("check", false, "write nothing; fail if a generated file differs")
	flag.Parse()
	if err := run(*check); err != nil {
		fmt.Fprintln(os.Stderr, "bifrost-protogen:", err)
		os.Exit(1)
	}
}

func run(check bool) error {
	req, err := request()
	if err != nil {
		return err
	}
	out := map[string][]byte{}
	for _, p := range plugins {
		if err := runPlugin(p, req, out); err != nil {
			return err
		}
	}
	stale := 0
	for name, data := range out {
		path := filepath.Join(root, filepath.FromSlash(name))
		if check {
			if old, err := os.ReadFile(path); err != nil || !bytes.Equal(old, data) {
				fmt.Fprintln(os.Stderr, "stale:", path)
				stale++
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
	}
	if stale > 0 {
		return fmt.Errorf("%d generated files are stale: run make gen", stale)
	}
	return nil
}

// request compiles the .proto files into the plugins' request: the files to generate and
// every file they import, dependencies first.
func request() (*pluginpb.CodeGeneratorRequest, error) {
	c := protocompile.Compiler{
		Resolver:       protocompile.WithStandardImports(&protocompile.SourceResolver{ImportPaths: []string{root}}),
		SourceInfoMode: protocompile.SourceInfoStandard,
	}
	compiled, err := c.Compile(context.Background(), files...)
	if err != nil {
		return nil, err
	}
	req := &pluginpb.CodeGeneratorRequest{FileToGenerate: files, Parameter: proto.String("paths=source_relative")}
	seen := map[string]bool{}
	var add func(fd protoreflect.FileDescriptor)
	add = func(fd protoreflect.FileDescriptor) {
		if seen[fd.Path()] {
			return
		}
		seen[fd.Path()] = true
		imports := fd.Imports()
		for i := 0; i < imports.Len(); i++ {
			add(imports.Get(i).FileDescriptor)
		}
		req.ProtoFile = append(req.ProtoFile, protodesc.ToFileDescriptorProto(fd))
	}
	for _, f := range compiled {
		add(f)
	}
	return req, nil
}

// runPlugin runs one plugin on req and adds the files it makes to out.
func runPlugin(name string, req *pluginpb.CodeGeneratorRequest, out map[string][]byte) error {
	in, err := proto.MarshalOptions{Deterministic: true}.Marshal(req)
	if err != nil {
		return err
	}
	cmd := exec.Command("go", "tool", name)
	cmd.Stdin = bytes.NewReader(in)
	cmd.Stderr = os.Stderr
	raw, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	var resp pluginpb.CodeGeneratorResponse
	if err := proto.Unmarshal(raw, &resp); err != nil {
		return fmt.Errorf("%s: bad response: %w", name, err)
	}
	if resp.Error != nil {
		return fmt.Errorf("%s: %s", name, resp.GetError())
	}
	for _, f := range resp.File {
		if f.GetInsertionPoint() != "" {
			return fmt.Errorf("%s: insertion points are not supported (%s)", name, f.GetName())
		}
		out[f.GetName()] = []byte(f.GetContent())
	}
	return nil
}
