package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform/platformfake"
	"github.com/supportops/autoresponder/internal/queue"
)

// timerFireSlack is how late a due timer may fire: River releases
// scheduled jobs about every 5 s, plus time to queue and deliver.
const timerFireSlack = 8 * time.Second

// storeArgs are the flags that open bot's store from the CLI.
func (b *Bot) storeArgs() []string {
	if b.cfg.DatabaseURL != "" {
		return []string{"--database-url", b.cfg.DatabaseURL}
	}
	return []string{"--data", filepath.Join(b.Dir, "data")}
}

// cliTimers runs `bot timers list --json` on bot's store with the given
// selection flags.
func cliTimers(t testing.TB, b *Bot, flags ...string) []queue.Timer {
	t.Helper()
	args := append([]string{"timers", "list", "--json"}, b.storeArgs()...)
	code, out := Run(t, b.Dir, nil, append(args, flags...)...)
	var list []queue.Timer
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil {
		t.Fatalf("bot timers list %v = %d %v\n%s", flags, code, err, out)
	}
	return list
}

// cliHistory runs `bot history --json` on bot's store.
func cliHistory(t testing.TB, b *Bot, flags ...string) []queue.History {
	t.Helper()
	args := append([]string{"history", "--json"}, b.storeArgs()...)
	code, out := Run(t, b.Dir, nil, append(args, flags...)...)
	var list []queue.History
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil {
		t.Fatalf("bot history %v = %d %v\n%s", flags, code, err, out)
	}
	return list
}

// adminTimers lists pending timers through GET /admin/timers?query.
func adminTimers(t testing.TB, b *Bot, query string) []queue.Timer {
	t.Helper()
	var out struct {
		Timers []queue.Timer `json:"timers"`
	}
	if code, err := b.Admin(http.MethodGet, "/admin/timers?"+query, &out); code != http.StatusOK || err != nil {
		t.Fatalf("GET /admin/timers?%s = %d, %v", query, code, err)
	}
	return out.Timers
}

// timerEnds keeps the history records of timers ending (fired, cancelled,
// dropped), by outcome.
func timerEnds(h []queue.History) map[string][]queue.History {
	out := map[string][]queue.History{}
	for _, r := range h {
		if strings.HasPrefix(r.Outcome, "timer_") {
			out[r.Outcome] = append(out[r.Outcome], r)
		}
	}
	return out
}

// rootPayload reads a payload from the module's testdata (the example
// rules' captures) and sets fields in it; see edit.
func rootPayload(t testing.TB, name string, set map[string]any) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(moduleRoot(), "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return edit(t, raw, set)
}

// notesTo returns the bodies the fakes accepted for target.
func (f *fakes) notesTo(target string) []string {
	var out []string
	for _, r := range f.to(target) {
		if r.Status >= 200 && r.Status < 300 {
			body, _ := r.Body["body"].(string)
			out = append(out, body)
		}
	}
	return out
}

// firstRequest is the first request the fakes got for target (zero when
// none).
func (f *fakes) firstRequest(target string) platformfake.Recorded {
	if rs := f.to(target); len(rs) > 0 {
		return rs[0]
	}
	return platformfake.Recorded{}
}
