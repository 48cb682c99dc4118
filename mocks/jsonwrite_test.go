package mocks

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestAppendJSONString(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"gpt-4o", "gpt-4o"},
		{`a"b\c`, `a"b\c`},
		{"line\nbreak\ttab\rcr\x00nul\x1f", "line\nbreak\ttab\rcr\x00nul\x1f"},
		{"héllo 世界 🙂", "héllo 世界 🙂"},
		{"bad \xff utf8", "bad \ufffd utf8"},
		{"", ""},
	}
	for _, tt := range tests {
		b := appendJSONString(nil, tt.in)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Errorf("%q: invalid JSON %s: %v", tt.in, b, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%q: round trip gave %q", tt.in, got)
		}
	}
}

func TestValidEscapes(t *testing.T) {
	tests := []struct {
		raw  string
		want bool
	}{
		{`plain`, true},
		{`a\nb\"c\\d\/e\bf\fg\rh\ti`, true},
		{`\u00e9\uABCD`, true},
		{`\q`, false},
		{`\u12`, false},
		{`\u12g4`, false},
		{`ends with \`, false},
	}
	for _, tt := range tests {
		if got := validEscapes(tt.raw); got != tt.want {
			t.Errorf("validEscapes(%q) = %v, want %v", tt.raw, got, tt.want)
		}
	}
}

func TestAppendHex16(t *testing.T) {
	if got := string(appendHex16(nil, 0xabc)); got != strings.Repeat("0", 13)+"abc" {
		t.Errorf("appendHex16(0xabc) = %q", got)
	}
}
