package client

import (
	"context"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"

	"guichet/sync/registry"
	"guichet/sync/wire"
)

func TestEnrolWithTicket(t *testing.T) {
	e := newRegistry(t, regOptions{})
	ctx := context.Background()
	keys := e.srv.DocumentKeys()
	issue := func(srv *registry.Server, kiosk string) string {
		t.Helper()
		tk, err := srv.IssueTicket(ctx, operator, registry.TicketSpec{Court: court, CountryPack: "ma", PackVersion: 3, KioskID: kiosk})
		if err != nil {
			t.Fatal(err)
		}
		return tk.Text
	}
	opts := func(kiosk string) EnrolOptions {
		return EnrolOptions{Dir: t.TempDir(), KioskID: kiosk, SoftwareVersion: "1.4.0", Attempts: 2}
	}

	text := issue(e.srv, "")
	id, err := EnrolWithTicket(ctx, opts("ma-casa-20"), text, keys)
	if err != nil {
		t.Fatalf("EnrolWithTicket = %v", err)
	}
	if id.Court != court || id.RegistryURL != e.url || len(id.DocumentKeys) != 1 {
		t.Errorf("identity: court %s, registry %s, %d document keys", id.Court, id.RegistryURL, len(id.DocumentKeys))
	}
	k, err := e.st.Kiosk(ctx, "ma-casa-20")
	if err != nil {
		t.Fatal(err)
	}
	audit, _ := e.st.Audit(ctx, 20)
	found := false
	for _, a := range audit {
		found = found || (a.Action == "kiosk.enrol" && a.Subject == k.ID && strings.Contains(a.Detail, "issued by "+operator))
	}
	if !found {
		t.Error("the enrolment does not record the operator who issued the ticket")
	}

	for _, tt := range []struct {
		name   string
		text   string
		o      EnrolOptions
		keys   map[string]ed25519.PublicKey
		expect string
	}{
		{"used twice", text, opts("ma-casa-21"), keys, "token"},
		{"untrusted key", issue(e.srv, ""), opts("ma-casa-22"), map[string]ed25519.PublicKey{"someone": make([]byte, 32)}, "does not trust"},
		{"another kiosk's", issue(e.srv, "ma-casa-30"), opts("ma-casa-23"), keys, "for kiosk ma-casa-30"},
		{"expired", issue(e.srv, ""), func() EnrolOptions {
			o := opts("ma-casa-24")
			clk := &offsetClock{}
			clk.Advance(61 * time.Minute)
			o.Clock = clk
			return o
		}(), keys, "expired"},
		{"not a ticket", "TOK-7Q4K-9XMP-2WRT", opts("ma-casa-25"), keys, "not a Guichet enrolment ticket"},
	} {
		if _, err := EnrolWithTicket(ctx, tt.o, tt.text, tt.keys); err == nil || !strings.Contains(err.Error(), tt.expect) {
			t.Errorf("%s: EnrolWithTicket = %v, want an error containing %q", tt.name, err, tt.expect)
		}
	}

	// A ticket that sends the kiosk to another server than the one whose
	// CA it pins: the kiosk refuses before it sends the token.
	other := newRegistry(t, regOptions{cfg: func(c *registry.Config) { c.PublicURL = e.url }})
	before := e.faults.count("/v1/enrol")
	if _, err := EnrolWithTicket(ctx, opts("ma-casa-26"), issue(other.srv, ""), other.srv.DocumentKeys()); err == nil || !strings.Contains(err.Error(), "not the registry the ticket is for") {
		t.Errorf("EnrolWithTicket against another CA = %v", err)
	}
	if n := e.faults.count("/v1/enrol") - before; n != 0 {
		t.Errorf("the kiosk sent %d enrolment requests to a registry whose CA is not the pinned one", n)
	}
}

func TestReports(t *testing.T) {
	e := newRegistry(t, regOptions{})
	ctx := context.Background()
	k := e.newKiosk(t, "ma-casa-40", nil)
	if err := k.c.ReportProvisioning(ctx, "Rachid", []wire.ReportStep{{Name: "enrol", OK: true, Detail: "MA-000001"}, {Name: "receipt", OK: false, Detail: "paper out"}}); err != nil {
		t.Fatal(err)
	}
	if err := k.c.ReportDecommissioning(ctx, "moved", 3, false); err == nil {
		t.Error("a decommissioning with 3 queued requests and no force was sent")
	}
	if err := k.c.ReportDecommissioning(ctx, "the court moved", 0, false); err != nil {
		t.Fatal(err)
	}
	audit, _ := e.st.Audit(ctx, 20)
	var got []string
	for _, a := range audit {
		if strings.HasPrefix(a.Action, "kiosk.") && a.Subject == k.id {
			got = append(got, a.Action)
		}
	}
	if !strings.Contains(strings.Join(got, ","), "kiosk.provisioning_failed") || !strings.Contains(strings.Join(got, ","), "kiosk.decommissioned") {
		t.Errorf("audit %v", got)
	}
	// Revoked: the kiosk's certificate is refused from now on.
	if _, err := k.c.SendOutbox(ctx); err == nil {
		submit(t, k.st, 1)
		if _, err := k.c.SendOutbox(ctx); !errors.Is(err, ErrRefused) {
			t.Errorf("SendOutbox after decommissioning = %v, want ErrRefused", err)
		}
	}
}
