package update

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/godbus/dbus/v5"
)

// RAUC's D-Bus API (rauc.readthedocs.io, "D-Bus API"): the service
// de.pengutronix.rauc on the system bus, object /, interface
// de.pengutronix.rauc.Installer.
const (
	RAUCService   = "de.pengutronix.rauc"
	RAUCPath      = dbus.ObjectPath("/")
	RAUCInterface = "de.pengutronix.rauc.Installer"
)

// RAUC drives the RAUC update service, which installs whole OS images
// (bundles) into the inactive A/B slot and lets the bootloader fall back
// when a new slot is not marked good. Guichet marks the booted slot good
// only after the application's probation passed on it.
type RAUC struct {
	conn *dbus.Conn
	obj  dbus.BusObject
}

// NewRAUC talks to RAUC over conn (dbus.ConnectSystemBus on the kiosk; a
// test bus in tests).
func NewRAUC(conn *dbus.Conn) *RAUC {
	return &RAUC{conn: conn, obj: conn.Object(RAUCService, RAUCPath)}
}

// Slot is one slot as RAUC's GetSlotStatus reports it.
type Slot struct {
	Name       string // "rootfs.0"
	Class      string // "rootfs"
	Device     string
	State      string // "booted", "active", "inactive"
	BootStatus string // "good", "bad" (from the bootloader)
	Bootname   string // "A", "B"
}

// Install installs bundle (a path or URL) into the inactive slot and waits
// for RAUC's Completed signal. RAUC makes the new slot primary for the
// next boot; the caller reboots.
func (r *RAUC) Install(ctx context.Context, bundle string) error {
	match := []dbus.MatchOption{dbus.WithMatchObjectPath(RAUCPath), dbus.WithMatchInterface(RAUCInterface), dbus.WithMatchMember("Completed")}
	if err := r.conn.AddMatchSignalContext(ctx, match...); err != nil {
		return fmt.Errorf("update: rauc: subscribing to Completed: %w", err)
	}
	defer r.conn.RemoveMatchSignalContext(context.Background(), match...)
	signals := make(chan *dbus.Signal, 8)
	r.conn.Signal(signals)
	defer r.conn.RemoveSignal(signals)

	call := r.obj.CallWithContext(ctx, RAUCInterface+".InstallBundle", 0, bundle, map[string]dbus.Variant{})
	if call.Err != nil {
		return fmt.Errorf("update: rauc: installing %s: %w", bundle, call.Err)
	}
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("update: rauc: installing %s: %w", bundle, ctx.Err())
		case s := <-signals:
			if s.Path != RAUCPath || s.Name != RAUCInterface+".Completed" || len(s.Body) != 1 {
				continue
			}
			code, _ := s.Body[0].(int32)
			if code == 0 {
				return nil
			}
			last, _ := r.property(ctx, "LastError")
			return fmt.Errorf("update: rauc: installing %s failed (result %d): %s", bundle, code, last)
		}
	}
}

// MarkGood marks the booted slot good: the bootloader stops counting its
// boot attempts. Call it only after the application's probation passed.
func (r *RAUC) MarkGood(ctx context.Context) error {
	_, err := r.mark(ctx, "good", "booted")
	return err
}

// MarkBadAndFallBack marks the booted slot bad and the other one active, so
// that the next boot returns to the previous OS.
func (r *RAUC) MarkBadAndFallBack(ctx context.Context) error {
	if _, err := r.mark(ctx, "bad", "booted"); err != nil {
		return err
	}
	_, err := r.mark(ctx, "active", "other")
	return err
}

func (r *RAUC) mark(ctx context.Context, state, slot string) (string, error) {
	var name, msg string
	if err := r.obj.CallWithContext(ctx, RAUCInterface+".Mark", 0, state, slot).Store(&name, &msg); err != nil {
		return "", fmt.Errorf("update: rauc: marking %s %s: %w", slot, state, err)
	}
	return name, nil
}

// Primary is the slot the bootloader boots next.
func (r *RAUC) Primary(ctx context.Context) (string, error) {
	var s string
	if err := r.obj.CallWithContext(ctx, RAUCInterface+".GetPrimary", 0).Store(&s); err != nil {
		return "", fmt.Errorf("update: rauc: primary slot: %w", err)
	}
	return s, nil
}

// BootSlot is the bootname of the slot running now.
func (r *RAUC) BootSlot(ctx context.Context) (string, error) { return r.property(ctx, "BootSlot") }

// Slots lists every slot with its state.
func (r *RAUC) Slots(ctx context.Context) ([]Slot, error) {
	var raw []struct {
		Name  string
		Props map[string]dbus.Variant
	}
	if err := r.obj.CallWithContext(ctx, RAUCInterface+".GetSlotStatus", 0).Store(&raw); err != nil {
		return nil, fmt.Errorf("update: rauc: slot status: %w", err)
	}
	str := func(m map[string]dbus.Variant, k string) string {
		if v, ok := m[k]; ok {
			if s, ok := v.Value().(string); ok {
				return s
			}
		}
		return ""
	}
	out := make([]Slot, 0, len(raw))
	for _, s := range raw {
		out = append(out, Slot{Name: s.Name, Class: str(s.Props, "class"), Device: str(s.Props, "device"), State: str(s.Props, "state"),
			BootStatus: str(s.Props, "boot-status"), Bootname: str(s.Props, "bootname")})
	}
	return out, nil
}

func (r *RAUC) property(ctx context.Context, name string) (string, error) {
	var v dbus.Variant
	err := r.obj.CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, RAUCInterface, name).Store(&v)
	if err != nil {
		return "", fmt.Errorf("update: rauc: property %s: %w", name, err)
	}
	s, _ := v.Value().(string)
	return s, nil
}

// PrimaryBootname is the bootname ("A", "B") of the slot booted next.
func (r *RAUC) PrimaryBootname(ctx context.Context) (string, error) {
	next, _, err := r.primaryAndSlots(ctx)
	return next, err
}

// primaryAndSlots asks RAUC for the slot booted next (its bootname) and
// every slot, once each.
func (r *RAUC) primaryAndSlots(ctx context.Context) (string, []Slot, error) {
	p, err := r.Primary(ctx)
	if err != nil {
		return "", nil, err
	}
	slots, err := r.Slots(ctx)
	if err != nil {
		return "", nil, err
	}
	for _, s := range slots {
		if s.Name == p {
			return s.Bootname, slots, nil
		}
	}
	return "", nil, fmt.Errorf("update: rauc: primary slot %q is not among the slots", p)
}

// Describe says in one line what RAUC reports: the slot running, the one
// booted next, and each slot's state and boot status ("booted A, next A;
// rootfs.0 (A) booted good, rootfs.1 (B) inactive bad"). The updater logs
// it at its start, so a technician reading the journal sees the A/B state.
func (r *RAUC) Describe(ctx context.Context) (string, error) {
	booted, err := r.BootSlot(ctx)
	if err != nil {
		return "", err
	}
	next, slots, err := r.primaryAndSlots(ctx)
	if err != nil {
		return "", err
	}
	// RAUC lists the slots in no fixed order.
	sort.Slice(slots, func(i, j int) bool { return slots[i].Name < slots[j].Name })
	parts := make([]string, 0, len(slots))
	for _, s := range slots {
		status := s.BootStatus
		if status == "" {
			status = "boot status unknown"
		}
		parts = append(parts, fmt.Sprintf("%s (%s) %s %s", s.Name, s.Bootname, s.State, status))
	}
	return fmt.Sprintf("booted %s, next %s; %s", booted, next, strings.Join(parts, ", ")), nil
}
