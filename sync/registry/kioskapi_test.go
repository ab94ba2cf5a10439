package registry

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"guichet/kiosk/request"
	"guichet/kiosk/seal"
	"guichet/sync/wire"
)

func TestEnrol(t *testing.T) {
	e := newEnv(t, envOptions{})
	k := e.enrol("ma-casa-01", "tpi-casablanca")
	if k.enrol.Serial != "MA-000001" || k.enrol.Court != "tpi-casablanca" || k.enrol.CountryPack != "ma" || k.enrol.RegistryKey != e.srv.RegistryKey().String() {
		t.Errorf("enrolment = %+v", k.enrol)
	}
	if id, err := wire.KioskIDFromCertificate(k.cert); id != "ma-casa-01" || err != nil {
		t.Errorf("certificate names %q, %v", id, err)
	}
	if got := k.cert.NotAfter.Sub(t0); got != 7*24*time.Hour {
		t.Errorf("certificate lifetime = %s, want 7 days", got)
	}
	wantCaps := []wire.Capability{wire.CapBatch, wire.CapFeedStatus, wire.CapFeedConfig, wire.CapTelemetry, wire.CapLongPoll}
	if diff := cmp.Diff(wantCaps, k.enrol.Capabilities); diff != "" {
		t.Errorf("negotiated capabilities (-want +got):\n%s", diff)
	}

	_, key, _ := ed25519.GenerateKey(rand.Reader)
	tok := e.token("tpi-casablanca")
	req := wire.EnrolRequest{KioskID: "ma-casa-02", MessageID: "m1", Token: tok, CSR: csrFor(t, "ma-casa-02", key), SoftwareVersion: "0.3.1"}
	status, first := post(t, e.anonymous(), e.http.URL+wire.PathEnrol, &req)
	if status != http.StatusOK {
		t.Fatalf("enrol = %d %s", status, first)
	}
	// The answer was lost: the kiosk retries with the same token and key.
	req.MessageID = "m2"
	status, again := post(t, e.anonymous(), e.http.URL+wire.PathEnrol, &req)
	var r1, r2 wire.EnrolResponse
	wire.Unmarshal(first, &r1)
	wire.Unmarshal(again, &r2)
	if status != http.StatusOK || r1.Certificate != r2.Certificate || r1.Serial != r2.Serial {
		t.Errorf("retried enrolment = %d, same certificate %v, want the first answer again", status, r1.Certificate == r2.Certificate)
	}

	_, other, _ := ed25519.GenerateKey(rand.Reader)
	expired := e.token("tpi-casablanca")
	tests := []struct {
		name   string
		body   any
		before func()
		status int
		code   wire.ErrorCode
	}{
		{"token used with another key", wire.EnrolRequest{KioskID: "ma-casa-02", MessageID: "m3", Token: tok, CSR: csrFor(t, "ma-casa-02", other), SoftwareVersion: "0.3.1"}, nil, 403, wire.CodeTokenUsed},
		{"token used by another kiosk", wire.EnrolRequest{KioskID: "ma-casa-03", MessageID: "m3", Token: tok, CSR: csrFor(t, "ma-casa-03", key), SoftwareVersion: "0.3.1"}, nil, 403, wire.CodeTokenUsed},
		{"unknown token", wire.EnrolRequest{KioskID: "ma-casa-03", MessageID: "m4", Token: "NOT-A-REAL-TOKEN-0000", CSR: csrFor(t, "ma-casa-03", other), SoftwareVersion: "0.3.1"}, nil, 403, wire.CodeTokenInvalid},
		{"expired token", wire.EnrolRequest{KioskID: "ma-casa-03", MessageID: "m5", Token: expired, CSR: csrFor(t, "ma-casa-03", other), SoftwareVersion: "0.3.1"}, func() { e.clock.Add(73 * time.Hour) }, 403, wire.CodeTokenExpired},
		{"not json", []byte("{kiosk"), nil, 400, wire.CodeMalformed},
		{"unknown field", []byte(`{"kiosk_id":"ma-casa-03","root":true}`), nil, 400, wire.CodeMalformed},
		{"invalid", wire.EnrolRequest{KioskID: "ma casa", MessageID: "m6", Token: expired}, nil, 422, wire.CodeInvalid},
		{"oversized", []byte(`{"kiosk_id":"` + strings.Repeat("x", wire.MaxEnrolBody) + `"}`), nil, 413, wire.CodeTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.before != nil {
				tt.before()
			}
			status, body := post(t, e.anonymous(), e.http.URL+wire.PathEnrol, tt.body)
			if p := problemOf(t, body); status != tt.status || p.Code != tt.code {
				t.Errorf("POST %s = %d %s, want %d %s", wire.PathEnrol, status, p.Code, tt.status, tt.code)
			}
		})
	}
	if _, err := e.srv.Store().Kiosk(context.Background(), "ma-casa-03"); err == nil {
		t.Errorf("a refused enrolment created kiosk ma-casa-03")
	}
	tokRec, err := e.srv.Store().Token(context.Background(), sha(tok))
	if err != nil || tokRec.IssuedBy != operator || tokRec.UsedBy != "ma-casa-02" {
		t.Errorf("token record = %+v, %v, want issued by %s, used by ma-casa-02", tokRec, err, operator)
	}
}

func TestRequestsIdempotent(t *testing.T) {
	for _, backend := range []string{"bolt", "pg"} {
		t.Run(backend, func(t *testing.T) {
			e := newEnv(t, envOptions{pg: backend == "pg"})
			k := e.enrol("ma-casa-01", "tpi-casablanca")
			a, b := e.item(k, 1, `{"cin":"AB123456"}`), e.item(k, 2, `{"cin":"K998877"}`)
			got := k.send(t, a, b)
			for _, r := range got.Results {
				if r.Outcome != wire.Accepted || !r.ReceivedAt.Equal(t0) || r.State != request.Acknowledged {
					t.Errorf("first send %s = %+v, want accepted at %s", r.RequestID, r, t0)
				}
			}
			e.clock.Add(time.Hour)
			got = k.send(t, a)
			if r := got.Results[0]; r.Outcome != wire.Duplicate || !r.ReceivedAt.Equal(t0) || r.BodyHash != a.BodyHash {
				t.Errorf("replay = %+v, want duplicate with the original answer", r)
			}
			// Same id, other body: a conflict, never stored over the first.
			forged := e.item(k, 1, `{"cin":"ZZ000000"}`)
			got = k.send(t, forged)
			if r := got.Results[0]; r.Outcome != wire.Conflict || r.BodyHash != a.BodyHash {
				t.Errorf("other body = %+v, want conflict naming the first body", r)
			}
			stored, err := e.srv.Store().Request(context.Background(), k.id, a.RequestID)
			if err != nil || string(stored.Sealed) != string(a.Sealed) {
				t.Errorf("stored body after conflict changed (%v)", err)
			}
			alerts, _ := e.srv.Store().Alerts(context.Background(), 10)
			if len(alerts) != 1 || alerts[0].RequestID != a.RequestID {
				t.Errorf("alerts = %+v, want one conflict", alerts)
			}
			// Payloads the registry cannot open are rejected, not stored.
			otherKey, _ := seal.GenerateKey()
			wrongKey := e.item(k, 3, "x")
			wrongKey.Sealed, _ = seal.Seal(otherKey.Public(), wrongKey.RequestID, []byte("x"))
			wrongKey.BodyHash = wrongKey.ComputeBodyHash()
			moved := e.item(k, 4, "x")
			moved.Sealed = e.item(k, 5, "x").Sealed // sealed for request 5
			moved.BodyHash = moved.ComputeBodyHash()
			got = k.send(t, wrongKey, moved, e.item(k, 6, "ok"))
			want := []wire.Outcome{wire.Rejected, wire.Rejected, wire.Accepted}
			wantCodes := []string{wire.RejectWrongKey, wire.RejectUnsealable, ""}
			for i, r := range got.Results {
				if r.Outcome != want[i] || r.Code != wantCodes[i] {
					t.Errorf("result %d = %s %s, want %s %s", i, r.Outcome, r.Code, want[i], wantCodes[i])
				}
			}
			if n := e.stored(); n != 3 {
				t.Errorf("%d requests stored, want 3", n)
			}
		})
	}
}

func TestKioskRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	a := e.enrol("ma-casa-01", "tpi-casablanca")
	b := e.enrol("ma-casa-02", "tpi-casablanca")
	revoked := e.enrol("ma-casa-03", "tpi-casablanca")
	if st, body := e.person("POST", PathAdminKiosks+"/ma-casa-03/revoke", operator, operatorPass, nil); st != http.StatusNoContent {
		t.Fatalf("revoke = %d %s", st, body)
	}
	// A certificate from another CA, naming kiosk a.
	foreign := newEnv(t, envOptions{})
	impostor := foreign.enrol("ma-casa-01", "tpi-casablanca")
	impostor.base = e.http.URL
	impostor.client.Transport.(*http.Transport).TLSClientConfig.RootCAs = e.srv.CAPool()

	batch := func(k *kioskClient, body string) wire.RequestBatch {
		return wire.RequestBatch{KioskID: body, MessageID: "m1", Items: []wire.RequestItem{e.item(k, 1, "p")}}
	}
	tests := []struct {
		name   string
		client *http.Client
		body   wire.RequestBatch
		before func()
		status int
		code   wire.ErrorCode
	}{
		{"no certificate", e.anonymous(), batch(a, a.id), nil, 401, wire.CodeNoCertificate},
		{"another CA", impostor.client, batch(a, a.id), nil, 401, wire.CodeNoCertificate},
		{"revoked", revoked.client, batch(revoked, revoked.id), nil, 401, wire.CodeCertRevoked},
		{"another kiosk's identity", b.client, batch(a, a.id), nil, 403, wire.CodeIdentityMismatch},
		{"expired", a.client, batch(a, a.id), func() { e.clock.Add(8 * 24 * time.Hour) }, 401, wire.CodeCertExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.before != nil {
				tt.before()
			}
			status, body := post(t, tt.client, e.http.URL+wire.PathRequests, &tt.body)
			if p := problemOf(t, body); status != tt.status || p.Code != tt.code {
				t.Errorf("POST = %d %s, want %d %s", status, p.Code, tt.status, tt.code)
			}
			status, body = get(t, tt.client, e.http.URL+wire.PathChanges+"?"+wire.ChangesQuery{KioskID: tt.body.KioskID}.Values().Encode())
			if p := problemOf(t, body); status != tt.status || p.Code != tt.code {
				t.Errorf("GET changes = %d %s, want %d %s", status, p.Code, tt.status, tt.code)
			}
		})
	}
	if n := e.stored(); n != 0 {
		t.Errorf("%d requests stored by refused kiosks, want 0", n)
	}
}

func TestMalformed(t *testing.T) {
	e := newEnv(t, envOptions{})
	k := e.enrol("ma-casa-01", "tpi-casablanca")
	good := wire.RequestBatch{KioskID: k.id, MessageID: "m1", Items: []wire.RequestItem{e.item(k, 1, "p")}}
	goodJSON, _ := wire.Marshal(&good)
	altered := strings.Replace(string(goodJSON), `"fee":2000`, `"fee":1`, 1)
	tests := []struct {
		name   string
		body   []byte
		ctype  string
		status int
		code   wire.ErrorCode
	}{
		{"not json", []byte("kiosk=1"), wire.ContentType, 400, wire.CodeMalformed},
		{"truncated", goodJSON[:len(goodJSON)/2], wire.ContentType, 400, wire.CodeMalformed},
		{"unknown field", []byte(strings.Replace(string(goodJSON), `{"kiosk_id"`, `{"priority":1,"kiosk_id"`, 1)), wire.ContentType, 400, wire.CodeMalformed},
		{"altered body", []byte(altered), wire.ContentType, 422, wire.CodeInvalid},
		{"oversized", []byte(`{"kiosk_id":"` + strings.Repeat("a", wire.MaxBatchBody) + `"}`), wire.ContentType, 413, wire.CodeTooLarge},
		{"form", goodJSON, "application/x-www-form-urlencoded", 415, wire.CodeUnsupportedMedia},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, e.http.URL+wire.PathRequests, strings.NewReader(string(tt.body)))
			req.Header.Set("Content-Type", tt.ctype)
			resp, err := k.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var p wire.Problem
			if err := wire.ReadBody(resp.Body, &p); err != nil || resp.StatusCode != tt.status || p.Code != tt.code {
				t.Errorf("POST = %d %s (%v), want %d %s", resp.StatusCode, p.Code, err, tt.status, tt.code)
			}
		})
	}
	for _, path := range []string{"/v1/nothing", wire.PathChanges + "?kiosk=ma-casa-01"} {
		status, body := get(t, k.client, e.http.URL+path)
		if p := problemOf(t, body); status/100 != 4 {
			t.Errorf("GET %s = %d %s, want 4xx", path, status, p.Code)
		}
	}
	if status, body := get(t, k.client, e.http.URL+wire.PathRequests); status != 405 || problemOf(t, body).Code != wire.CodeMethod {
		t.Errorf("GET %s = %d, want 405", wire.PathRequests, status)
	}
	if n := e.stored(); n != 0 {
		t.Errorf("%d requests stored from malformed bodies, want 0", n)
	}
}
