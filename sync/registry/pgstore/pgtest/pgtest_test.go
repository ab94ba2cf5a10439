package pgtest_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"guichet/sync/registry/pgstore/pgtest"
)

func TestStart(t *testing.T) {
	srv := pgtest.Start(t, pgtest.Options{})
	ctx := context.Background()
	for _, dsn := range []string{srv.NewDatabase(t), srv.NewDatabase(t)} {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatalf("pgx.Connect(%s) = %v", dsn, err)
		}
		var n int
		if err := conn.QueryRow(ctx, "SELECT 40 + 2").Scan(&n); err != nil || n != 42 {
			t.Errorf("SELECT 40 + 2 = %d, %v, want 42", n, err)
		}
		conn.Close(ctx)
	}
}
