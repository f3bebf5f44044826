package intercomfake

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform/platformfake"
)

// BenchmarkIntercomFake measures the fake under parallel load with
// recording off and the rate limiter on, as a load harness runs it.
func BenchmarkIntercomFake(b *testing.B) {
	f := New(Options{
		Token: testToken, AdminID: testAdminID, APIVersion: testVersion,
		RateLimit:        platformfake.RateLimit{Limit: 1 << 30, Window: time.Hour},
		DisableRecording: true,
	})
	defer f.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 256}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	body := `{"type":"admin","message_type":"note","admin_id":"991267696","body":"<p>load</p>"}`
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPost, f.URL()+"/tickets/42/reply", strings.NewReader(body))
			req.Header = intercomHeader()
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body) // read to the end, or the connection is not reused
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	if v := f.Violations(); len(v) > 0 {
		b.Fatal(v[0])
	}
}
