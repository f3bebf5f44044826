package main

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// cpuUse is the CPU time a process used over a wall-clock interval, as
// cores: 1.0 is one CPU busy the whole time.
type cpuUse struct {
	Loadgen float64 `json:"loadgen_cores"`
	Server  float64 `json:"server_cores"` // the bot(s) or the baseline
}

// cpuMark is a point to measure CPU use from.
type cpuMark struct {
	wall   time.Time
	self   time.Duration
	server time.Duration
	pids   []int
}

// markCPU marks the servers' CPU time (summed: the replicas of a case
// are one server).
func markCPU(serverPIDs ...int) cpuMark {
	return cpuMark{wall: time.Now(), self: selfCPU(), server: serversCPU(serverPIDs), pids: serverPIDs}
}

func serversCPU(pids []int) time.Duration {
	var d time.Duration
	for _, p := range pids {
		d += procCPU(p)
	}
	return d
}

// since returns the CPU use from m until now.
func (m cpuMark) since() cpuUse {
	wall := time.Since(m.wall).Seconds()
	if wall <= 0 {
		return cpuUse{}
	}
	return cpuUse{
		Loadgen: (selfCPU() - m.self).Seconds() / wall,
		Server:  (serversCPU(m.pids) - m.server).Seconds() / wall,
	}
}

// procCPU reads a process's user+system time from /proc/<pid>/stat
// (Linux; 0 elsewhere). The kernel counts in clock ticks of 1/100 s on
// every common configuration.
func procCPU(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name may hold spaces; fields resume after its ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// peakRSS reads VmHWM (the resident set's high-water mark) of a process,
// in bytes; 0 when unknown.
func peakRSS(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
