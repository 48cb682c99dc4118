package harness

import (
	"fmt"
	"strconv"
	"strings"
)

// pinning is where the processes of a run may execute: the gateway under
// test (each gateway, the raw proxy and the peers, which run one at a time)
// on gateway, the load generator (this process) and the mock on others.
// Both are empty when nothing is pinned.
type pinning struct {
	gateway, others []int
	taskset         string // the taskset command that pins children
	note            string // one line for the report
}

// minOtherCPUs is the least number of CPUs left to the load generator and
// the mock for pinning to be worth it.
const minOtherCPUs = 2

// planPinning decides the pinning for a machine with ncpu CPUs and a profile
// whose gateway gets want CPUs (0: the profile does not pin). It pins only
// when the machine has at least want + minOtherCPUs CPUs and taskset is
// installed; otherwise everything shares the CPUs, and the note says why.
func planPinning(ncpu, want int, lookPath func(string) (string, error)) pinning {
	if want <= 0 {
		return pinning{note: fmt.Sprintf("not pinned: all processes share the machine's %d CPUs", ncpu)}
	}
	if ncpu < want+minOtherCPUs {
		return pinning{note: fmt.Sprintf("not pinned: the profile gives the gateway %d CPUs of its own, which takes at least %d CPUs "+
			"(%d more for the load generator and the mock) and this machine has %d, so load generator, mock and gateway "+
			"share the %d CPUs side by side, as on the 2-core development machine", want, want+minOtherCPUs, minOtherCPUs, ncpu, ncpu)}
	}
	ts, err := lookPath("taskset")
	if err != nil {
		return pinning{note: fmt.Sprintf("not pinned: taskset (util-linux) is not installed, so all processes share the %d CPUs", ncpu)}
	}
	p := pinning{taskset: ts}
	for c := 0; c < ncpu; c++ {
		if c < want {
			p.gateway = append(p.gateway, c)
		} else {
			p.others = append(p.others, c)
		}
	}
	p.note = fmt.Sprintf("pinned (sched_setaffinity via taskset): each gateway under test, the raw proxy and the peers on CPUs %s (%d of their own, "+
		"the profile's size); the load generator (this harness) and the mock on CPUs %s; no cgroup limits",
		cpuList(p.gateway), want, cpuList(p.others))
	return p
}

// cpuList writes CPUs as taskset's list: "0-3" or "0,2,5".
func cpuList(cpus []int) string {
	var parts []string
	for i := 0; i < len(cpus); {
		j := i
		for j+1 < len(cpus) && cpus[j+1] == cpus[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, strconv.Itoa(cpus[i])+"-"+strconv.Itoa(cpus[j]))
		} else {
			parts = append(parts, strconv.Itoa(cpus[i]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// wrap returns the command line that runs path with args on the gateway's
// CPUs (gateway true) or on the others, or path and args unchanged when
// nothing is pinned. taskset execs the program, so its pid stays the same.
func (p pinning) wrap(gateway bool, path string, args []string) (string, []string) {
	if p.taskset == "" {
		return path, args
	}
	set := p.others
	if gateway {
		set = p.gateway
	}
	return p.taskset, append([]string{"-c", cpuList(set), path}, args...)
}

// startChild starts a child as the free startChild does, pinned to the
// gateway's CPUs (gateway true) or to the load generator's.
func (r *run) startChild(name string, env []string, gateway bool, path string, args ...string) (*child, error) {
	path, args = r.pin.wrap(gateway, path, args)
	return startChild(name, env, path, args...)
}
