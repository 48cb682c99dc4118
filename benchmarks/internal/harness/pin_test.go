package harness

import (
	"errors"
	"io"
	"os/exec"
	"reflect"
	goruntime "runtime"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/benchmarks/internal/report"
)

func TestPlanPinning(t *testing.T) {
	found := func(string) (string, error) { return "/usr/bin/taskset", nil }
	missing := func(string) (string, error) { return "", errors.New("not found") }

	// The 2-core development machine: nothing pinned, and the note says why.
	p := planPinning(2, 2, found)
	if p.taskset != "" || p.gateway != nil || !strings.Contains(p.note, "not pinned") || !strings.Contains(p.note, "this machine has 2") {
		t.Errorf("2 CPUs: %+v", p)
	}
	if path, args := p.wrap(true, "/bin/gw", []string{"-x"}); path != "/bin/gw" || !reflect.DeepEqual(args, []string{"-x"}) {
		t.Errorf("unpinned wrap: %s %v", path, args)
	}
	// 16 CPUs, t3.xlarge: the gateway on 0-3, the rest for load and mock.
	p = planPinning(16, 4, found)
	if !reflect.DeepEqual(p.gateway, []int{0, 1, 2, 3}) || len(p.others) != 12 || !strings.Contains(p.note, "CPUs 0-3") || !strings.Contains(p.note, "CPUs 4-15") {
		t.Errorf("16 CPUs: %+v", p)
	}
	if path, args := p.wrap(true, "/bin/gw", []string{"-x"}); path != "/usr/bin/taskset" || !reflect.DeepEqual(args, []string{"-c", "0-3", "/bin/gw", "-x"}) {
		t.Errorf("gateway wrap: %s %v", path, args)
	}
	if _, args := p.wrap(false, "/bin/mock", nil); args[1] != "4-15" {
		t.Errorf("mock wrap: %v", args)
	}
	// 4 CPUs are not enough for a 4-CPU gateway plus load; no taskset: not pinned.
	if p := planPinning(4, 4, found); p.taskset != "" {
		t.Errorf("4 CPUs for a 4-CPU gateway pinned: %+v", p)
	}
	if p := planPinning(16, 4, missing); p.taskset != "" || !strings.Contains(p.note, "taskset") {
		t.Errorf("no taskset: %+v", p)
	}
	if p := planPinning(16, 0, found); p.taskset != "" {
		t.Errorf("a profile without GatewayCPUs pinned: %+v", p)
	}
}

func TestCPUList(t *testing.T) {
	for want, cpus := range map[string][]int{"0-3": {0, 1, 2, 3}, "0,2,4-5": {0, 2, 4, 5}, "7": {7}, "": nil} {
		if got := cpuList(cpus); got != want {
			t.Errorf("cpuList(%v) = %q, want %q", cpus, got, want)
		}
	}
}

func TestRaiseFileLimit(t *testing.T) {
	n, err := raiseFileLimit(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	if n < 1024 {
		t.Errorf("open-file limit %d after raising", n)
	}
}

func TestChildEnv(t *testing.T) {
	got := childEnv([]string{"A=1", "DATABASE_URL=postgres://x", "B=2"}, []string{"-DATABASE_URL", "C=3", "-MISSING"})
	if want := []string{"A=1", "B=2", "C=3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("childEnv = %v, want %v", got, want)
	}
}

func TestJudge(t *testing.T) {
	r := &run{rep: &report.Report{}, progress: newProgress(nil), cfg: Config{Profile: Profile{Sweep: true}, Log: io.Discard}}
	direct := &report.Point{Target: report.Direct, Rate: 1000, Requests: 100, Success: 100, AchievedRate: 1000, Latency: report.Lat{P99: 61}}
	slow := &target{name: "slow"}
	fail := &report.Point{Target: "slow", Rate: 1000, Requests: 100, Success: 100, SuccessPct: 100, AchievedRate: 1000, Latency: report.Lat{P99: 200}}
	r.judge(slow, fail, direct)
	if slow.down != "" || !slow.failedLast {
		t.Fatalf("one failed rate: down %q, failedLast %v", slow.down, slow.failedLast)
	}
	fail.Rate = 2500
	r.judge(slow, fail, direct)
	if !strings.Contains(slow.down, "two rates in a row") || len(r.rep.Dropped) != 1 {
		t.Errorf("two failed rates: down %q, dropped %v", slow.down, r.rep.Dropped)
	}
	// Falling over (under half succeeded) drops a target also outside a sweep.
	r.cfg.Profile.Sweep = false
	dead := &target{name: "dead"}
	r.judge(dead, &report.Point{Target: "dead", Rate: 500, Requests: 100, Success: 10, SuccessPct: 10, Errors: map[string]int{"timeout": 90}}, direct)
	if !strings.Contains(dead.down, "fell over at 500 rps: 10.0%") || !strings.Contains(dead.down, "90 x timeout") {
		t.Errorf("fell over: %q", dead.down)
	}
	ok := &target{name: "ok"}
	r.judge(ok, &report.Point{Target: "ok", Rate: 500, Requests: 100, Success: 100, SuccessPct: 100, AchievedRate: 500, Latency: report.Lat{P99: 300}}, direct)
	if ok.down != "" {
		t.Errorf("a slow but answering target outside a sweep was dropped: %q", ok.down)
	}
}

// TestPinnedChild runs a child through the pinning's taskset and checks the CPUs the kernel
// allows it, and pins this process's threads to every CPU it has (a no-op in effect).
func TestPinnedChild(t *testing.T) {
	ts, err := exec.LookPath("taskset")
	if err != nil {
		t.Skip("taskset is not installed")
	}
	r := &run{pin: pinning{taskset: ts, gateway: []int{0}, others: []int{0}}}
	c, err := r.startChild("grep", nil, true, "/bin/grep", "Cpus_allowed_list", "/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	<-c.done
	if got := strings.Fields(c.log.text()); len(got) != 2 || got[1] != "0" {
		t.Errorf("the pinned child runs on %q, want CPU 0", c.log.text())
	}
	all := make([]int, goruntime.NumCPU())
	for i := range all {
		all[i] = i
	}
	if err := pinSelf(all); err != nil {
		t.Fatal(err)
	}
}
