package registry

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"guichet/kiosk/request"
	"guichet/sync/wire"
)

// changes polls the kiosk's feed.
func (k *kioskClient) changes(t testing.TB, since uint64, wait time.Duration) (int, wire.ChangesResponse, []byte) {
	t.Helper()
	status, body := get(t, k.client, k.base+wire.PathChanges+"?"+wire.ChangesQuery{KioskID: k.id, Since: since, Wait: wait}.Values().Encode())
	var r wire.ChangesResponse
	if status == http.StatusOK {
		if err := wire.Unmarshal(body, &r); err != nil {
			t.Fatalf("changes: %v\n%s", err, body)
		}
	}
	return status, r, body
}

func TestClerkWorkflow(t *testing.T) {
	e := newEnv(t, envOptions{})
	k := e.enrol("ma-casa-01", "tpi-casablanca")
	a, b := e.item(k, 1, `{"cin":"AB123456","father":"Ahmed"}`), e.item(k, 2, "not json")
	k.send(t, a, b)

	status, body := e.person("GET", PathClerkRequests, clerkCasa, clerkPass, nil)
	var list []RequestView
	if err := json.Unmarshal(body, &list); status != 200 || err != nil || len(list) != 2 || list[0].RequestID != a.RequestID || strings.Contains(string(body), "AB123456") {
		t.Fatalf("list = %d %s", status, body)
	}
	for _, tt := range []struct {
		name, method, path, who, pass string
		body                          any
		status                        int
		code                          wire.ErrorCode
	}{
		{"no sign-in", "GET", PathClerkRequests, "", "", nil, 401, wire.CodeUnauthorized},
		{"wrong password", "GET", PathClerkRequests, clerkCasa, "guess guess guess", nil, 401, wire.CodeUnauthorized},
		{"other court's list", "GET", PathClerkRequests + "?court=tpi-casablanca", clerkRabat, clerkPass, nil, 403, wire.CodeForbidden},
		{"other court's request", "GET", PathClerkRequest + k.id + "/" + a.RequestID, clerkRabat, clerkPass, nil, 403, wire.CodeForbidden},
		{"operator may not open", "GET", PathClerkRequest + k.id + "/" + a.RequestID, operator, operatorPass, nil, 403, wire.CodeForbidden},
		{"viewer may not move", "POST", PathClerkRequest + k.id + "/" + a.RequestID + "/status", "viewer.omar", clerkPass, StatusBody{State: request.Ready}, 403, wire.CodeForbidden},
		{"unknown request", "GET", PathClerkRequest + k.id + "/ffffffffffffffffffffffffffffffff", clerkCasa, clerkPass, nil, 404, wire.CodeNotFound},
		{"skip to ready", "POST", PathClerkRequest + k.id + "/" + a.RequestID + "/status", clerkCasa, clerkPass, StatusBody{State: request.Delivered}, 409, wire.CodeState},
		{"reject without reason", "POST", PathClerkRequest + k.id + "/" + b.RequestID + "/status", clerkCasa, clerkPass, StatusBody{State: request.Rejected}, 409, wire.CodeState},
		{"unknown field", "POST", PathClerkRequest + k.id + "/" + a.RequestID + "/status", clerkCasa, clerkPass, map[string]string{"state": "ready", "by": "x"}, 400, wire.CodeMalformed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := e.person(tt.method, tt.path, tt.who, tt.pass, tt.body)
			if p := problemOf(t, body); status != tt.status || p.Code != tt.code {
				t.Errorf("%s %s = %d %s, want %d %s", tt.method, tt.path, status, p.Code, tt.status, tt.code)
			}
		})
	}

	status, body = e.person("GET", PathClerkRequest+k.id+"/"+a.RequestID, clerkCasa, clerkPass, nil)
	var opened OpenedRequest
	if err := json.Unmarshal(body, &opened); status != 200 || err != nil || string(opened.Personal) != `{"cin":"AB123456","father":"Ahmed"}` {
		t.Errorf("open = %d %s", status, body)
	}
	status, body = e.person("GET", PathClerkRequest+k.id+"/"+b.RequestID, clerkCasa, clerkPass, nil)
	if err := json.Unmarshal(body, &opened); status != 200 || err != nil || string(opened.Raw) != "not json" {
		t.Errorf("open (not JSON) = %d %s", status, body)
	}

	steps := []struct {
		id     string
		body   StatusBody
		within time.Duration
	}{
		{a.RequestID, StatusBody{State: request.InProcessing}, time.Minute},
		{a.RequestID, StatusBody{State: request.Ready}, 2 * time.Minute},
		{b.RequestID, StatusBody{State: request.Rejected, Reason: "lieu de naissance incomplet"}, 3 * time.Minute},
	}
	for i, st := range steps {
		// The kiosk waits on its feed; the clerk's decision wakes it.
		done := make(chan wire.ChangesResponse, 1)
		go func() {
			_, r, _ := k.changes(t, uint64(i), 20*time.Second)
			done <- r
		}()
		time.Sleep(100 * time.Millisecond)
		began := time.Now()
		status, body := e.person("POST", PathClerkRequest+k.id+"/"+st.id+"/status", clerkCasa, clerkPass, st.body)
		if status != 200 {
			t.Fatalf("status %s = %d %s", st.body.State, status, body)
		}
		select {
		case r := <-done:
			if len(r.Changes) != 1 || r.Next != uint64(i+1) || r.Changes[0].Status.State != st.body.State || r.Changes[0].Status.Reason != st.body.Reason {
				t.Errorf("feed after %s = %+v", st.body.State, r)
			}
			if waited := time.Since(began); waited > 5*time.Second {
				t.Errorf("the long-poll answered %s after the change", waited)
			}
		case <-time.After(15 * time.Second):
			t.Fatalf("the long-poll did not answer the %s change", st.body.State)
		}
	}
	audit, _ := e.srv.Store().Audit(context.Background(), 20)
	var opens int
	for _, en := range audit {
		if en.Action == "request.open" && en.Actor == clerkCasa {
			opens++
		}
	}
	if opens != 2 {
		t.Errorf("%d audited openings, want 2", opens)
	}
	// The whole feed from the start, and a since past the head.
	if status, r, body := k.changes(t, 0, 0); status != 200 || len(r.Changes) != 3 || r.More {
		t.Errorf("changes(0) = %d %s", status, body)
	}
	if status, r, _ := k.changes(t, 1, 0); status != 200 || len(r.Changes) != 2 || r.Changes[0].Seq != 2 {
		t.Errorf("changes(1) = %d %+v", status, r)
	}
	if status, _, body := k.changes(t, 9, 0); status != 422 {
		t.Errorf("changes(past head) = %d %s, want 422", status, body)
	}
	began := time.Now()
	if status, r, _ := k.changes(t, 3, time.Second); status != 200 || len(r.Changes) != 0 || r.Next != 3 || time.Since(began) < 900*time.Millisecond {
		t.Errorf("changes(head, wait 1s) = %d %+v after %s, want empty after a second", status, r, time.Since(began))
	}
}

func TestOverload(t *testing.T) {
	e := newEnv(t, envOptions{cfg: func(c *Config) { c.MaxInFlight, c.MaxWaiters, c.RetryAfter = 1, 1, 7*time.Second }})
	k := e.enrol("ma-casa-01", "tpi-casablanca")
	// A batch whose body trickles in holds the only ingest slot.
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, e.http.URL+wire.PathRequests, pr)
	req.Header.Set("Content-Type", wire.ContentType)
	slow := make(chan int, 1)
	go func() {
		resp, err := k.client.Do(req)
		if err != nil {
			slow <- 0
			return
		}
		resp.Body.Close()
		slow <- resp.StatusCode
	}()
	pw.Write([]byte(`{"kiosk_id":"ma-casa-01",`))
	deadline := time.Now().Add(5 * time.Second)
	var status int
	var body []byte
	for time.Now().Before(deadline) {
		status, body = post(t, k.client, e.http.URL+wire.PathTelemetry, []byte(`{}`))
		if status == http.StatusServiceUnavailable {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if p := problemOf(t, body); status != 503 || p.Code != wire.CodeOverloaded || p.RetryAfter.Std() != 7*time.Second {
		t.Errorf("POST while busy = %d %+v, want 503 overloaded retry after 7s", status, p)
	}
	resp, err := k.client.Post(e.http.URL+wire.PathRequests, wire.ContentType, strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Retry-After"); resp.StatusCode != 503 || got != strconv.Itoa(7) {
		t.Errorf("Retry-After = %q (status %d), want 7", got, resp.StatusCode)
	}
	pw.Write([]byte(`"oops`))
	pw.Close()
	if got := <-slow; got != http.StatusBadRequest {
		t.Errorf("trickled malformed batch = %d, want 400", got)
	}
	if n := e.stored(); n != 0 {
		t.Errorf("%d stored, want 0", n)
	}

	// One long-poll at a time: the second is told to come back.
	waiting := make(chan int, 1)
	go func() {
		status, _, _ := k.changes(t, 0, 3*time.Second)
		waiting <- status
	}()
	// Ask only once the first long-poll holds the only slot: asked before,
	// the second would take the slot and the first be told to come back.
	for deadline = time.Now().Add(5 * time.Second); len(e.srv.waiters) == 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	status, _, body = k.changes(t, 0, 0)
	if status != 503 || problemOf(t, body).Code != wire.CodeOverloaded {
		t.Errorf("second long-poll = %d %s, want 503", status, body)
	}
	if got := <-waiting; got != 200 {
		t.Errorf("first long-poll = %d, want 200", got)
	}
}

func TestTelemetryAndRenew(t *testing.T) {
	e := newEnv(t, envOptions{})
	k := e.enrol("ma-casa-01", "tpi-casablanca")
	tel := wire.Telemetry{KioskID: k.id, MessageID: "t1", At: t0, SoftwareVersion: "0.3.2", CountryPack: "ma", PackVersion: 3,
		Capabilities: []wire.Capability{wire.CapTelemetry, wire.CapFeedConfig, "feed.future"},
		Paper:        []wire.Paper{{Printer: "receipt_printer", Level: wire.PaperLow}}, QueueDepth: 1, OldestEntryAge: wire.Duration(time.Minute),
		CertNotAfter: k.cert.NotAfter.UTC()}
	status, body := post(t, k.client, e.http.URL+wire.PathTelemetry, &tel)
	var ack wire.TelemetryAck
	if err := wire.Unmarshal(body, &ack); status != 200 || err != nil || len(ack.Capabilities) != 2 || ack.MessageID != "t1" {
		t.Fatalf("telemetry = %d %s", status, body)
	}
	kiosk, _ := e.srv.Store().Kiosk(context.Background(), k.id)
	if kiosk.Telemetry == nil || kiosk.Telemetry.Paper[0].Level != wire.PaperLow || kiosk.SoftwareVersion != "0.3.2" {
		t.Errorf("stored telemetry = %+v", kiosk.Telemetry)
	}
	// Settings reach the kiosk's feed, as it advertised feed.config.
	set := wire.Settings{Version: 2, BatchMaxItems: 20}
	if status, body := e.person("POST", PathAdminKiosks+"/"+k.id+"/settings", operator, operatorPass, set); status != 200 {
		t.Errorf("settings = %d %s", status, body)
	}
	if _, r, _ := k.changes(t, 0, 0); len(r.Changes) != 1 || r.Changes[0].Settings.BatchMaxItems != 20 {
		t.Errorf("feed after settings = %+v", r)
	}

	// Renewal before expiry gives a certificate for a new key.
	e.clock.Add(6 * 24 * time.Hour)
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	status, body = post(t, k.client, e.http.URL+wire.PathRenew, &wire.RenewRequest{KioskID: k.id, MessageID: "r1", CSR: csrFor(t, k.id, key)})
	var rr wire.RenewResponse
	if err := wire.Unmarshal(body, &rr); status != 200 || err != nil || !rr.NotAfter.Equal(e.clock.Now().Add(7*24*time.Hour)) {
		t.Fatalf("renew = %d %s", status, body)
	}
	renewed := e.clientFor(k.id, key, wire.EnrolResponse{Certificate: rr.Certificate, RegistryCA: k.enrol.RegistryCA, Court: k.enrol.Court})
	e.clock.Add(3 * 24 * time.Hour) // the first certificate has expired
	if status, _, body := k.changes(t, 0, 0); status != 401 || problemOf(t, body).Code != wire.CodeCertExpired {
		t.Errorf("old certificate after expiry = %d %s", status, body)
	}
	if status, _, body := renewed.changes(t, 0, 0); status != 200 {
		t.Errorf("renewed certificate = %d %s", status, body)
	}
}
