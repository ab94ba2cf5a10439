package registry

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"guichet/kiosk/extract"
	"guichet/kiosk/extract/extracttest"
	"guichet/kiosk/pack"
	"guichet/kiosk/request"
	"guichet/sync/registry/store"
	"guichet/sync/wire"
)

const professionals = `[{"name_latin":"Maître Amina Berrada","name_arabic":"الأستاذة أمينة برادة","profession":"lawyer","registration":"Barreau de Casablanca n° 4417","city":"casablanca","address":"12, rue Tahar Sebti","languages":["ar","fr"],"status":"active","updated_at":"2026-03-02T09:30:00Z"}]`

// feed reads a kiosk's whole change feed.
func (k *kioskClient) feed(t *testing.T) []wire.Change {
	t.Helper()
	q := wire.ChangesQuery{KioskID: k.id}
	status, body := get(t, k.client, k.base+wire.PathChanges+"?"+q.Values().Encode())
	if status != http.StatusOK {
		t.Fatalf("GET changes = %d %s", status, body)
	}
	var resp wire.ChangesResponse
	if err := wire.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	return resp.Changes
}

// call posts a kiosk message and decodes the answer into out, or returns
// the problem.
func (k *kioskClient) call(t *testing.T, path string, in, out wire.Message) *wire.Problem {
	t.Helper()
	status, body := post(t, k.client, k.base+path, in)
	if status != http.StatusOK {
		p := problemOf(t, body)
		return &p
	}
	if err := wire.Unmarshal(body, out); err != nil {
		t.Fatalf("POST %s: %v\n%s", path, err, body)
	}
	return nil
}

func (e *env) operatorPost(path string, body []byte) (int, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.http.URL+path, bytes.NewReader(body))
	req.SetBasicAuth(operator, operatorPass)
	resp, err := e.anonymous().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestPublishReferenceData(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			e := newEnv(t, envOptions{pg: be.pg})
			before := e.enrol("ma-casa-01", "tpi-casablanca", wire.CapFeedRefData)
			old := e.enrol("ma-casa-02", "tpi-casablanca") // does not take reference data
			keys := before.enrol.DocumentKeys
			if len(keys) != 1 {
				t.Fatalf("enrolment gave %d document keys, want 1", len(keys))
			}

			if st, body := e.operatorPost(PathAdminDocument+"professionals", []byte(`[{"name_latin":"x"}]`)); st != http.StatusUnprocessableEntity {
				t.Errorf("publish an incomplete directory = %d %s, want 422", st, body)
			}
			if st, body := e.operatorPost(PathAdminDocument+"signers", []byte(`[]`)); st != http.StatusUnprocessableEntity {
				t.Errorf("publish signers by hand = %d %s, want 422", st, body)
			}
			if st, _ := e.person("POST", PathAdminDocument+"professionals", clerkCasa, clerkPass, json.RawMessage(professionals)); st != http.StatusForbidden {
				t.Errorf("a clerk publishing = %d, want 403", st)
			}
			for v := 1; v <= 2; v++ {
				st, body := e.operatorPost(PathAdminDocument+"professionals", []byte(professionals))
				if st != http.StatusOK || !strings.Contains(string(body), fmt.Sprintf(`"version":%d`, v)) || !strings.Contains(string(body), `"kiosks":1`) {
					t.Fatalf("publish v%d = %d %s, want version %d to 1 kiosk", v, st, body, v)
				}
			}
			after := e.enrol("ma-casa-03", "tpi-casablanca", wire.CapFeedRefData)

			check := func(k *kioskClient, want ...uint64) {
				t.Helper()
				var got []uint64
				for _, c := range k.feed(t) {
					if c.Kind != wire.ChangeReferenceData {
						continue
					}
					d := c.Document
					if !d.Verify(ed25519.PublicKey(k.enrol.DocumentKeys[d.KeyID])) {
						t.Errorf("%s: document %s v%d does not verify with the key pinned at enrolment", k.id, d.Name, d.Version)
					}
					if _, err := wire.ParseProfessionals(d.Payload); err != nil {
						t.Errorf("%s: %v", k.id, err)
					}
					got = append(got, d.Version)
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s: reference data versions in the feed %v, want %v", k.id, got, want)
				}
			}
			check(before, 1, 2)
			check(after, 2) // the latest, at enrolment
			check(old)
		})
	}
}

// readyExtract makes the request of item ready with an issued and endorsed
// extract whose holder is the sample's (BE123456, born 1990-03-12), as the
// console does.
func readyExtract(t *testing.T, e *env, k *kioskClient, it wire.RequestItem) {
	t.Helper()
	ctx := context.Background()
	p, err := pack.Embedded("ma")
	if err != nil {
		t.Fatal(err)
	}
	x, err := extracttest.Sample(p)
	if err != nil {
		t.Fatal(err)
	}
	x.Tracking = it.Tracking
	if err := extracttest.SignAll(x, p.ExtractVerificationBase); err != nil {
		t.Fatal(err)
	}
	for id, k := range extracttest.Keys() {
		role := store.RoleClerk
		if k.Role == extract.Prosecutor {
			role = store.RoleProsecutor
		}
		if err := e.srv.Store().PutSigningKey(ctx, store.SigningKey{ID: id, Account: string(role), Role: role, Court: "tpi-casablanca", Public: k.Public, Sealed: []byte{1}, CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	doc, _ := json.Marshal(x)
	if err := e.srv.Store().PutExtract(ctx, store.IssuedExtract{Number: x.Number, KioskID: k.id, RequestID: it.RequestID, Tracking: string(it.Tracking),
		Court: x.Court, IssuedAt: t0, IssuedBy: clerkCasa, Prosecutor: "prosecutor", Fragment: "f", Document: doc}); err != nil {
		t.Fatal(err)
	}
	fetch := wire.ExtractRequest{KioskID: k.id, MessageID: k.nextMessage(), Tracking: it.Tracking, Holder: wire.Holder{NationalNumber: "BE123456", BirthDate: "1990-03-12"}}
	if p := k.call(t, wire.PathExtract, &fetch, &wire.ExtractResponse{}); p == nil || p.Code != wire.CodeNotReady {
		t.Fatalf("fetch before endorsement = %v, want not_ready", p)
	}
	if _, err := e.srv.Store().Endorse(ctx, x.Number, doc, t0); err != nil {
		t.Fatal(err)
	}
	clerk, _ := e.srv.Store().Account(ctx, clerkCasa)
	for _, to := range []request.State{request.InProcessing, request.Ready} {
		if _, err := e.srv.SetStatus(ctx, clerk, k.id, it.RequestID, to, ""); err != nil {
			t.Fatal(err)
		}
	}
}

func TestExtractCollection(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			e := newEnv(t, envOptions{pg: be.pg})
			k := e.enrol("ma-casa-01", "tpi-casablanca", wire.CapExtractOnline)
			other := e.enrol("ma-rabat-01", "tpi-rabat", wire.CapExtractOnline)
			it := e.item(k, 1, `{"service":"bulletin3"}`)
			k.send(t, it)
			readyExtract(t, e, k, it)

			fetch := func(c *kioskClient, national, birth string) (wire.ExtractResponse, *wire.Problem) {
				q := wire.ExtractRequest{KioskID: c.id, MessageID: c.nextMessage(), Tracking: it.Tracking, Holder: wire.Holder{NationalNumber: national, DocumentNumber: "ZX1", BirthDate: birth}}
				var resp wire.ExtractResponse
				return resp, c.call(t, wire.PathExtract, &q, &resp)
			}
			for _, h := range [][2]string{{"BE999999", "1990-03-12"}, {"BE123456", "1990-03-13"}} {
				if _, p := fetch(k, h[0], h[1]); p == nil || p.Code != wire.CodeHolderMismatch || p.Status != http.StatusForbidden {
					t.Errorf("fetch with card %v = %v, want 403 holder_mismatch", h, p)
				}
			}
			// Any kiosk can hand it over: the citizen may collect elsewhere.
			resp, p := fetch(other, "be123456", "1990-03-12")
			if p != nil {
				t.Fatalf("fetch = %v", p)
			}
			if !resp.Signers.Verify(ed25519.PublicKey(other.enrol.DocumentKeys[resp.Signers.KeyID])) {
				t.Fatal("the signers document does not verify with the pinned document key")
			}
			signers, err := wire.ParseSigners(resp.Signers.Payload)
			if err != nil {
				t.Fatal(err)
			}
			keys := extract.Keys{}
			for _, s := range signers {
				keys[s.KeyID] = extract.Key{Role: extract.Role(s.Role), Public: s.Public}
			}
			x, err := extract.Parse(resp.Extract)
			if err != nil {
				t.Fatal(err)
			}
			p2, _ := pack.Embedded("ma")
			if err := x.Verify(keys, p2.ExtractVerificationBase); err != nil {
				t.Fatalf("the extract does not verify with the signers sent: %v", err)
			}

			deliver := wire.DeliveredRequest{KioskID: other.id, MessageID: other.nextMessage(), Tracking: it.Tracking, At: t0}
			for range 2 { // a replay is answered the same
				var ack wire.DeliveredAck
				if p := other.call(t, wire.PathDelivered, &deliver, &ack); p != nil || ack.State != request.Delivered {
					t.Fatalf("delivered = %+v, %v", ack, p)
				}
			}
			if _, p := fetch(other, "BE123456", "1990-03-12"); p == nil || p.Code != wire.CodeDelivered {
				t.Errorf("fetch after delivery = %v, want already_delivered", p)
			}
			// The kiosk that took the request learns it through its feed.
			var last wire.Change
			for _, c := range k.feed(t) {
				if c.Kind == wire.ChangeRequestStatus {
					last = c
				}
			}
			if last.Status == nil || last.Status.State != request.Delivered {
				t.Errorf("the taking kiosk's last status change is %+v, want delivered", last.Status)
			}
			unknown := wire.ExtractRequest{KioskID: k.id, MessageID: k.nextMessage(), Tracking: e.item(k, 9, "{}").Tracking, Holder: wire.Holder{NationalNumber: "BE123456", BirthDate: "1990-03-12"}}
			if p := k.call(t, wire.PathExtract, &unknown, &wire.ExtractResponse{}); p == nil || p.Code != wire.CodeNotReady {
				t.Errorf("fetch of a request without extract = %v, want not_ready", p)
			}
		})
	}
}

func TestFines(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			e := newEnv(t, envOptions{pg: be.pg})
			k := e.enrol("ma-casa-01", "tpi-casablanca", wire.CapFines)
			recs := []FineRecord{
				{PVNumber: "00000001-rf-2026", NationalNumber: "be123456", Amount: 30000, Currency: "MAD", Date: t0.AddDate(0, -1, 0), Place: "A7 PK 112", Court: "tpi-settat"},
				{PVNumber: "00000002-RF-2026", NationalNumber: "BE123456", Amount: 70000, Currency: "MAD", Date: t0.AddDate(0, -2, 0), Place: "N1 Bouskoura"},
			}
			body, _ := json.Marshal(recs)
			if st, b := e.operatorPost(PathAdminFines, body); st != http.StatusOK || !strings.Contains(string(b), `"written":2`) {
				t.Fatalf("import = %d %s", st, b)
			}
			bad, _ := json.Marshal([]FineRecord{{PVNumber: "X-1", Amount: -1, Currency: "MAD", Date: t0, Place: "p"}})
			if st, _ := e.operatorPost(PathAdminFines, bad); st != http.StatusUnprocessableEntity {
				t.Errorf("import a negative amount = %d, want 422", st)
			}
			lookup := func(q wire.FinesQuery) []string {
				t.Helper()
				q.KioskID, q.MessageID = k.id, k.nextMessage()
				var resp wire.FinesResponse
				if p := k.call(t, wire.PathFines, &q, &resp); p != nil {
					t.Fatalf("fines = %v", p)
				}
				var out []string
				for _, f := range resp.Fines {
					out = append(out, f.PVNumber)
				}
				return out
			}
			if got := fmt.Sprint(lookup(wire.FinesQuery{NationalNumber: "BE123456"})); got != "[00000002-RF-2026 00000001-RF-2026]" {
				t.Errorf("by national number = %s, want both, oldest first", got)
			}
			if got := lookup(wire.FinesQuery{PVNumber: "00000001-RF-2026"}); len(got) != 1 {
				t.Errorf("by PV number = %v", got)
			}
			if got := lookup(wire.FinesQuery{NationalNumber: "JA000000"}); len(got) != 0 {
				t.Errorf("nobody's fines = %v, want none", got)
			}

			// Paying at the kiosk: the request's sealed payload names the fine.
			paid := `{"service":"radar_fine","fine":{"pv_number":"00000002-RF-2026","amount":70000},"payment":{"method":"card","kind":"card_terminal","amount":70000,"currency":"MAD","authorisation":"A1B2C3"}}`
			counter := `{"service":"radar_fine","fine":{"pv_number":"00000001-RF-2026","amount":30000},"payment":{"method":"counter","kind":"counter","amount":30000,"currency":"MAD","at_counter":true}}`
			first := e.item(k, 1, paid)
			k.send(t, first, e.item(k, 2, counter))
			k.send(t, first) // a replay pays nothing twice
			if got := fmt.Sprint(lookup(wire.FinesQuery{NationalNumber: "BE123456"})); got != "[00000001-RF-2026]" {
				t.Errorf("after paying one (and choosing the counter for the other) = %s", got)
			}
			// A second payment of the same fine is stored (money was taken)
			// and audited for a refund.
			k.send(t, e.item(k, 3, paid))
			audit, _ := e.srv.Store().Audit(context.Background(), 50)
			twice := 0
			for _, a := range audit {
				if a.Action == "fine.paid_twice" {
					twice++
				}
			}
			if twice != 1 {
				t.Errorf("%d fine.paid_twice audit entries, want 1", twice)
			}
			if st, b := e.operatorPost(PathAdminFines, body); st != http.StatusOK || !strings.Contains(string(b), `"written":1`) {
				t.Errorf("import the same file again = %d %s, want 1 written (the paid fine left as it is)", st, b)
			}
		})
	}
}

// backends are the storage back ends every test here runs against.
var backends = []struct {
	name string
	pg   bool
}{{"bolt", false}, {"pg", true}}

func TestIssueTicket(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	if _, err := e.srv.IssueTicket(ctx, operator, TicketSpec{Court: "tpi-casablanca", CountryPack: "ma", PackVersion: 3, ValidFor: 2 * time.Hour}); err == nil {
		t.Error("a ticket valid two hours was issued")
	}
	tk, err := e.srv.IssueTicket(ctx, operator, TicketSpec{Court: "tpi-casablanca", CountryPack: "ma", PackVersion: 3, KioskID: "ma-casa-09", ValidFor: 20 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	st, err := wire.ParseTicket(tk.Text)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Verify(e.srv.DocumentKeys(), t0.Add(19*time.Minute)); err != nil {
		t.Errorf("Verify = %v", err)
	}
	if err := st.Verify(e.srv.DocumentKeys(), t0.Add(20*time.Minute)); err == nil {
		t.Error("the ticket verifies after its 20 minutes")
	}
	if st.IssuedBy != operator || st.KioskID != "ma-casa-09" || st.CA != wire.Hash(sha256.Sum256(e.srv.ca.cert.Raw)) {
		t.Errorf("ticket %+v", st.Ticket)
	}
	// The token inside enrols once, as any token.
	k := e.enrolWith(st.KioskID, st.Token)
	if k.enrol.Court != "tpi-casablanca" {
		t.Errorf("enrolled in %s", k.enrol.Court)
	}
}
