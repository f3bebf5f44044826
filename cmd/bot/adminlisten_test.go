package main

import (
	"io"
	"strings"
	"testing"

	"github.com/supportops/autoresponder/internal/platform/all"
)

// TestServeAdminListen: --admin-listen and BOT_ADMIN_LISTEN set the admin
// listener, off by default; sharing the webhook port is refused, since the
// point is a port of its own.
func TestServeAdminListen(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		args    []string
		want    string
		wantErr string
	}{
		{name: "off by default", want: ""},
		{name: "env", env: map[string]string{"BOT_ADMIN_LISTEN": ":9090"}, want: ":9090"},
		{name: "flag over env", env: map[string]string{"BOT_ADMIN_LISTEN": ":9090"}, args: []string{"--admin-listen", "127.0.0.1:9191"}, want: "127.0.0.1:9191"},
		{name: "same port as --listen", args: []string{"--listen", ":8080", "--admin-listen", ":8080"}, wantErr: "--admin-listen :8080 is also --listen"},
		{name: "both on free ports", args: []string{"--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"}, want: "127.0.0.1:0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := serveOptions(all.Registry(), tc.args, func(k string) string { return tc.env[k] }, io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.AdminListen != tc.want {
				t.Errorf("AdminListen = %q, want %q", o.AdminListen, tc.want)
			}
		})
	}
}
