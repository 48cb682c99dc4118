package stacks

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// stack writes one sample of perf script output: frames innermost first, each "ADDRESS SYMBOL".
func stack(frames ...string) string {
	var b strings.Builder
	b.WriteString("\n")
	for _, f := range frames {
		b.WriteString("\t" + f + "\n")
	}
	return b.String() + "\n"
}

func TestCount(t *testing.T) {
	stages := []Stage{
		{Name: "server", Entries: []string{"fasthttp.(*Server)."}},
		{Name: "engine", Entries: []string{"runtime.(*Engine)."}},
		{Name: "build", Entries: []string{"runtime.(*Engine).buildRequest"}},
		{Name: "client", Entries: []string{"fasthttp.(*Client)."}},
	}
	const (
		serve  = "4feced fasthttp.(*Server).serveConn"
		send   = "62b288 runtime.(*Engine).send"
		build  = "62d0a8 runtime.(*Engine).buildRequest"
		do     = "4fc1ca fasthttp.(*Client).Do"
		leaf   = "106fb5 bytes.IndexByte"
		kernel = "ffffffff82244564 tcp_sendmsg"
	)
	for _, tc := range []struct {
		name  string
		input string
		want  []Time // per stage, then Other
	}{
		{"nothing", "", []Time{{}, {}, {}, {}, {}}},
		{"the innermost entry decides",
			stack(leaf, do, send, serve) + stack(leaf, send, serve) + stack(leaf, serve),
			[]Time{{User: 1}, {User: 1}, {}, {User: 1}, {}}},
		{"the longest entry decides between stages",
			stack(leaf, build, serve),
			[]Time{{}, {}, {User: 1}, {}, {}}},
		{"a kernel frame innermost is kernel time, of its user stack's stage",
			stack(kernel, "ffffffff81000e46 entry_SYSCALL_64", leaf, do, send, serve),
			[]Time{{}, {}, {}, {Kernel: 1}, {}}},
		{"no entry: other",
			stack(leaf, "97961 runtime.goexit.abi0") + stack("7f12 [unknown]") + stack("55aa"),
			[]Time{{}, {}, {}, {}, {User: 3}}},
		{"runs of blank lines, and a last sample without one",
			"\t" + leaf + "\n\t" + serve + "\n\n\n\n\t" + do + "\n",
			[]Time{{User: 1}, {}, {}, {User: 1}, {}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Count(strings.NewReader(tc.input), stages)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got.Stages) != fmt.Sprint(tc.want) {
				t.Errorf("stages = %v, want %v", got.Stages, tc.want)
			}
			n := 0
			for _, s := range tc.want {
				n += s.User + s.Kernel
			}
			if got.Samples != n || got.Total().User+got.Total().Kernel != n {
				t.Errorf("samples = %d, total %v, want %d", got.Samples, got.Total(), n)
			}
		})
	}
}

func TestCountRejects(t *testing.T) {
	for _, input := range []string{
		"cycles: 1234 pid 77\n",            // printed with other fields than ip,sym
		"\tnot-hex github.com/x.F\n",       // no address
		"\t4feced fasthttp.F\n\tzz main\n", // a bad frame after a good one
	} {
		if _, err := Count(strings.NewReader(input), Request()); err == nil {
			t.Errorf("Count(%q) = nil error, want one", input)
		}
	}
}

func TestIsKernel(t *testing.T) {
	for ip, want := range map[string]bool{
		"ffffffff82244564": true,
		"ffff800000000000": true,
		"7fffffffffffffff": false,
		"60780c":           false,
		"00000000004feced": false,
	} {
		if got := isKernel(ip); got != want {
			t.Errorf("isKernel(%s) = %v, want %v", ip, got, want)
		}
	}
}

func TestTallyAdd(t *testing.T) {
	var sum Tally
	a := Tally{Stages: []Time{{User: 1, Kernel: 2}, {User: 3}}, Samples: 6}
	sum.Add(a)
	sum.Add(a)
	if fmt.Sprint(sum.Stages) != "[{2 4} {6 0}]" || sum.Samples != 12 {
		t.Errorf("sum = %+v", sum)
	}
	if got := sum.Total(); got != (Time{User: 8, Kernel: 4}) {
		t.Errorf("Total = %+v", got)
	}
}

// TestRequestGolden counts testdata/gateway.script, 29 samples that perf recorded from
// bifrost-http at 3,000 RPS (chosen to reach most stages: none decodes or encodes, and none is
// without a stage), with the stages of Request.
func TestRequestGolden(t *testing.T) {
	f, err := os.Open("testdata/gateway.script")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stages := Request()
	tally, err := Count(f, stages)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i, s := range tally.Stages {
		name := Other
		if i < len(stages) {
			name = stages[i].Name
		}
		fmt.Fprintf(&b, "%s: user %d, kernel %d\n", name, s.User, s.Kernel)
	}
	got := b.String()
	const golden = "testdata/gateway.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("tally differs from %s (go test -update to rewrite it):\ngot:\n%s\nwant:\n%s", golden, got, want)
	}
}

func TestRequestStagesDistinct(t *testing.T) {
	seen := map[string]string{}
	for _, s := range Request() {
		if s.Name == Other || len(s.Entries) == 0 {
			t.Errorf("stage %q: a name other than %q and at least one entry", s.Name, Other)
		}
		for _, e := range s.Entries {
			if prev, ok := seen[e]; ok {
				t.Errorf("entry %q in both %q and %q", e, prev, s.Name)
			}
			seen[e] = s.Name
		}
	}
}
