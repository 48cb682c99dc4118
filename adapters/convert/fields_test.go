package convert

import (
	"testing"

	"github.com/mailru/easyjson/jlexer"
)

func TestFields(t *testing.T) {
	l := jlexer.Lexer{Data: []byte(` { "a" : "x", "b":{"c":1,"d":[1,{"e":2}]}, "esc\u0061ped":true, "z":"y" } `)}
	var got []string
	for key := range Fields(&l) {
		switch key {
		case "b":
			for k := range Fields(&l) {
				got = append(got, "b."+k)
				l.SkipRecursive()
			}
		default:
			got = append(got, key)
			l.SkipRecursive()
		}
	}
	l.Consumed()
	if err := l.Error(); err != nil {
		t.Fatal(err)
	}
	want := []string{"a", "b.c", "b.d", "escaped", "z"}
	if len(got) != len(want) {
		t.Fatalf("keys = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("keys = %q, want %q", got, want)
			break
		}
	}
}

func TestFieldsEarlyAndMalformed(t *testing.T) {
	l := jlexer.Lexer{Data: []byte(`{"a":1,"b":2}`)}
	n := 0
	for range Fields(&l) {
		n++
		break
	}
	if n != 1 || l.Error() != nil {
		t.Errorf("break: %d members, error %v", n, l.Error())
	}
	for _, bad := range []string{`[1]`, `{"a" 1}`, `{"a":1,}`, `{"a":1`, `null`} {
		l := jlexer.Lexer{Data: []byte(bad)}
		for range Fields(&l) {
			l.SkipRecursive()
		}
		if l.Error() == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	l = jlexer.Lexer{Data: []byte(`{}`)}
	for range Fields(&l) {
		t.Error("a member in {}")
	}
	if l.Error() != nil {
		t.Error(l.Error())
	}
}

func TestFieldsAllocs(t *testing.T) {
	data := []byte(`{"a":"x","b":{"c":1,"d":[1,2]},"e":"y"}`)
	sum := 0
	if n := testing.AllocsPerRun(100, func() {
		l := jlexer.Lexer{Data: data}
		for key := range Fields(&l) {
			switch key {
			case "a", "e":
				sum += len(l.UnsafeString())
			case "b":
				for k := range Fields(&l) {
					sum += len(k)
					l.SkipRecursive()
				}
			}
		}
	}); n != 0 {
		t.Errorf("Fields: %v allocs, want 0", n)
	}
	if sum == 0 {
		t.Error("nothing read")
	}
}

func TestView(t *testing.T) {
	if View(nil) != "" || View([]byte("ab")) != "ab" || string(ViewBytes("cd")) != "cd" || len(ViewBytes("")) != 0 {
		t.Error("View / ViewBytes")
	}
}
