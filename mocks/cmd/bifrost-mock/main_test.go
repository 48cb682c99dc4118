package main

import (
	"io"
	"testing"
)

func TestRunBadFlags(t *testing.T) {
	tests := [][]string{
		{"-size", "huge"},
		{"-rate-429", "2"},
		{"-nope"},
		{"extra"},
		{"-addr", "256.0.0.1:bad"},
	}
	for _, args := range tests {
		if err := run(args, io.Discard); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}
