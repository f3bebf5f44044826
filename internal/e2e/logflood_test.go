package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/logthrottle"
	"github.com/supportops/autoresponder/internal/platform/intercom/intercomfake"
	"github.com/supportops/autoresponder/internal/platform/platformfake"
)

// TestDiskFullLogIsThrottled: while the disk is full River retries and
// logged the same error about 37 times a second, unthrottled. Every
// repeated warning or error of the bot (River's included) now gives at most
// logthrottle.DefaultBurst lines per minute, then a count.
func TestDiskFullLogIsThrottled(t *testing.T) {
	dir := t.TempDir()
	hostileTmpfs(t, filepath.Join(dir, "data"), 32<<20)
	// Replies are held at the platform until the disk is full: then the
	// bot cannot record that they were posted, and River keeps trying.
	release, arrived := make(chan struct{}), make(chan struct{}, 100)
	ic := intercomfake.New(intercomfake.Options{Token: IntercomToken, APIVersion: "2.14", AdminID: BotAdminID,
		Hook: func(rec platformfake.Recorded) *platformfake.Response {
			arrived <- struct{}{}
			<-release
			return nil
		}})
	defer ic.Close()
	releaseOnce := sync.OnceFunc(func() { close(release) })
	defer releaseOnce()
	bot := Start(t, Config{Dir: dir, Rules: RulesFile(ic.URL(), "", "", hostileRules)})
	hostileLogsOnFailure(t, bot)
	const held = 3
	for i := range held {
		if code, body := bot.Post("intercom", "intercom", hostileIntercomEvent(fmt.Sprintf("notif_flood-%d", i), fmt.Sprintf("96%08d", i))); code != http.StatusOK {
			t.Fatalf("POST: %d %s", code, body)
		}
	}
	for range held {
		<-arrived
	}
	before := len(strings.Split(bot.Logs(), "\n"))
	fillDisk(t, filepath.Join(dir, "data", "filler"))
	releaseOnce()
	WaitFor(t, 10*time.Second, "the held replies", func() bool { return ic.Stats().Accepted >= held })
	time.Sleep(5 * time.Second) // River retries recording the outcome
	lines := strings.Split(bot.Logs(), "\n")[before-1:]
	if err := os.Remove(filepath.Join(dir, "data", "filler")); err != nil {
		t.Fatal(err)
	}

	// Count the lines of each identity: level, message and error.
	counts := map[string]int{}
	warnings := 0
	for _, line := range lines {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil {
			continue
		}
		if rec["level"] != "WARN" && rec["level"] != "ERROR" {
			continue
		}
		if rec["msg"] == "webhook" || rec["suppressed"] != nil {
			continue // one per request, each different; summaries
		}
		warnings++
		counts[fmt.Sprintf("%s %s err=%v error=%v", rec["level"], rec["msg"], rec["err"], rec["error"])]++
	}
	t.Logf("%d warning and error lines in 5 s on a full disk, %d distinct", warnings, len(counts))
	for id, n := range counts {
		if n > logthrottle.DefaultBurst {
			t.Errorf("%d lines of %.300s; want at most %d", n, id, logthrottle.DefaultBurst)
		}
	}
}
