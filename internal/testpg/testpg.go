// Package testpg gives tests a fresh PostgreSQL database of their own on the
// server named by BOT_TEST_DATABASE_URL, and drops it afterwards. Without
// the variable the test is skipped; .ci/run always sets it.
package testpg

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// EnvVar names the variable holding the PostgreSQL URL for tests.
const EnvVar = "BOT_TEST_DATABASE_URL"

// Main runs a package's tests (call it from TestMain). Without EnvVar it
// first says, once for the package, that the PostgreSQL suites are
// skipped. `go test ./...` hides the output of passing packages unless -v,
// so the line goes to the terminal when there is one.
func Main(m *testing.M) {
	w := io.Writer(os.Stderr)
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		w = tty
	}
	Notice(w, os.Getenv, pkgName())
	os.Exit(m.Run())
}

// Notice writes the one-line notice Main prints when getenv has no EnvVar.
func Notice(w io.Writer, getenv func(string) string, pkg string) {
	if getenv(EnvVar) == "" {
		fmt.Fprintf(w, "NOTE %s: %s is not set: the PostgreSQL tests are SKIPPED (e.g. %s=postgres://postgres@127.0.0.1:5432/test?sslmode=disable)\n",
			pkg, EnvVar, EnvVar)
	}
}

// pkgName names the test binary's package (pkg.test → pkg).
func pkgName() string {
	return strings.TrimSuffix(filepath.Base(os.Args[0]), ".test")
}

// Fresh creates an empty database for t and returns its URL.
func Fresh(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvVar)
	if base == "" {
		t.Skipf("%s not set: PostgreSQL tests skipped", EnvVar)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to %s: %v", EnvVar, err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "bot_test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvVar, err)
	}
	u.Path = "/" + name
	return u.String()
}
