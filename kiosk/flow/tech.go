package flow

import (
	"context"
	"strconv"
	"strings"
	"time"

	"guichet/kiosk/audit"
	"guichet/kiosk/scan"
	"guichet/kiosk/store"
)

// MaxPINAttempts wrong PINs lock technician mode for PINLockout.
const (
	MaxPINAttempts = 5
	PINLockout     = 5 * time.Minute
)

const techPINField = "tech.pin"

// techState is technician mode's state. It holds no citizen data: a
// citizen's session is wiped when the service key turns.
type techState struct {
	pin         []byte
	failures    int
	lockedUntil time.Time
	peripherals []PeripheralHealth
	registry    *RegistryStatus
	enrolment   *Enrolment
	health      *store.Health
	healthErr   string
	result      *notice
	scanArmed   bool
}

func (t *techState) clearPIN() {
	clear(t.pin)
	t.pin = t.pin[:0]
}

func (f *Flow) serviceKey(fx *effects, on bool) {
	st := &f.st
	if !on {
		st.keyWaits = false
		if st.kind == KindTechPIN || st.kind == KindTechnician {
			f.recordAudit(audit.Technician, "tech.exit", "service_key", "key turned off")
			f.leaveTech(fx)
		}
		return
	}
	if st.kind == KindTechPIN || st.kind == KindTechnician {
		return
	}
	if st.busy {
		// A payment or submission is running: finish it first.
		st.keyWaits = true
		return
	}
	f.endSession(fx, false)
	locked := st.tech.lockedUntil
	failures := st.tech.failures
	st.tech = techState{lockedUntil: locked, failures: failures}
	st.kind = KindTechPIN
	f.recordAudit(audit.Technician, "tech.key_on", "service_key", "PIN requested")
}

// afterBusy runs once blocking work has ended.
func (f *Flow) afterBusy(fx *effects) {
	if f.st.keyWaits {
		f.st.keyWaits = false
		f.serviceKey(fx, true)
	}
}

func (f *Flow) leaveTech(fx *effects) {
	st := &f.st
	st.tech.clearPIN()
	locked, failures := st.tech.lockedUntil, st.tech.failures
	st.tech = techState{lockedUntil: locked, failures: failures}
	st.busy = false
	st.epoch++
	st.kind = KindAttract
	st.lang = ""
}

func (f *Flow) techTap(fx *effects, id string) {
	st := &f.st
	if id == TapTechExit {
		f.recordAudit(audit.Technician, "tech.exit", "screen", "exit button")
		f.leaveTech(fx)
		return
	}
	if st.busy {
		return
	}
	switch st.kind {
	case KindTechPIN:
		switch id {
		case TapErase:
			if n := len(st.tech.pin); n > 0 {
				st.tech.pin[n-1] = 0
				st.tech.pin = st.tech.pin[:n-1]
			}
		case TapClear:
			st.tech.clearPIN()
		case TapNext:
			f.checkPIN(fx)
		}
	case KindTechnician:
		switch id {
		case TapTechRefresh:
			f.recordAudit(audit.Technician, "tech.refresh", "status", "")
			f.techRefresh(fx)
		case TapTechTestPrint:
			f.techTestPrint(fx)
		case TapTechTestScan:
			f.techTestScan(fx)
		}
	}
}

func (f *Flow) checkPIN(fx *effects) {
	st := &f.st
	hash := f.cfg.TechnicianPINHash
	if hash == "" {
		st.tech.result = &notice{key: "tech.no_pin", role: RoleError}
		return
	}
	if now := f.now(); now.Before(st.tech.lockedUntil) {
		st.tech.result = &notice{key: "tech.locked", role: RoleError, args: map[string]string{"minutes": ltr(strconv.Itoa(int(st.tech.lockedUntil.Sub(now).Minutes()) + 1))}}
		st.tech.clearPIN()
		return
	}
	pin := string(st.tech.pin)
	st.tech.clearPIN()
	f.run(fx, "tech.checking", func(ctx context.Context) func(fx *effects) {
		ok, err := VerifyPIN(hash, pin)
		return func(fx *effects) {
			t := &f.st.tech
			f.st.kind = KindTechPIN
			if err != nil || !ok {
				t.failures++
				detail := "wrong PIN, attempt " + strconv.Itoa(t.failures)
				t.result = &notice{key: "tech.wrong_pin", role: RoleError}
				if t.failures >= MaxPINAttempts {
					t.lockedUntil = f.now().Add(PINLockout)
					t.failures = 0
					detail += ": locked for " + PINLockout.String()
					t.result = &notice{key: "tech.locked", role: RoleError, args: map[string]string{"minutes": ltr(strconv.Itoa(int(PINLockout.Minutes())))}}
				}
				f.recordAudit(audit.Technician, "tech.pin_failed", "technician_mode", detail)
				return
			}
			t.failures = 0
			t.result = nil
			f.recordAudit(audit.Technician, "tech.login", "technician_mode", "PIN accepted")
			f.st.kind = KindTechnician
			f.techRefresh(fx)
		}
	}, f.within(f.cfg.LookupTimeout))
}

// techRefresh gathers every status the technician screen shows.
func (f *Flow) techRefresh(fx *effects) {
	tech, st := f.deps.Technician, f.deps.Store
	f.run(fx, "tech.refreshing", func(ctx context.Context) func(fx *effects) {
		var (
			per  []PeripheralHealth
			reg  *RegistryStatus
			enr  *Enrolment
			herr string
		)
		if tech != nil {
			per = tech.Peripherals(ctx)
			r := tech.Registry(ctx)
			reg = &r
			e := tech.Enrolment(ctx)
			enr = &e
		}
		h, err := st.Health()
		if err != nil {
			herr = err.Error()
		}
		return func(fx *effects) {
			t := &f.st.tech
			t.peripherals, t.registry, t.enrolment, t.healthErr = per, reg, enr, herr
			if err == nil {
				t.health = &h
			}
			f.st.kind = KindTechnician
		}
	}, f.within(f.cfg.LookupTimeout))
}

func (f *Flow) techTestPrint(fx *effects) {
	tech := f.deps.Technician
	if tech == nil {
		f.st.tech.result = &notice{key: "tech.unavailable", role: RoleError}
		return
	}
	f.run(fx, "tech.printing", func(ctx context.Context) func(fx *effects) {
		err := tech.TestPrint(ctx)
		return func(fx *effects) {
			f.st.kind = KindTechnician
			detail := "ok"
			if err != nil {
				detail = err.Error()
				f.st.tech.result = &notice{key: "tech.test_print_failed", role: RoleError, args: map[string]string{"error": ltr(err.Error())}}
			} else {
				f.st.tech.result = &notice{key: "tech.test_print_done", role: RoleEmphasis}
			}
			f.recordAudit(audit.Technician, "tech.test_print", "receipt_printer", detail)
		}
	}, f.within(f.cfg.PrintTimeout))
}

func (f *Flow) techTestScan(fx *effects) {
	tech := f.deps.Technician
	if tech == nil {
		f.st.tech.result = &notice{key: "tech.unavailable", role: RoleError}
		return
	}
	f.run(fx, "tech.arming", func(ctx context.Context) func(fx *effects) {
		err := tech.ArmTestScan(ctx)
		return func(fx *effects) {
			f.st.kind = KindTechnician
			if err != nil {
				f.st.tech.result = &notice{key: "tech.test_scan_failed", role: RoleError, args: map[string]string{"error": ltr(err.Error())}}
				f.recordAudit(audit.Technician, "tech.test_scan", "readers", "arming failed: "+err.Error())
				return
			}
			f.st.tech.scanArmed = true
			f.st.tech.result = &notice{key: "tech.test_scan_ready", role: RoleEmphasis}
			f.recordAudit(audit.Technician, "tech.test_scan", "readers", "armed")
		}
	}, f.within(f.cfg.LookupTimeout))
}

// A test read shows what was read, never the citizen data it may carry;
// an enrolment ticket enrols the kiosk.
func (f *Flow) techScanned(fx *effects, payload string) {
	t := &f.st.tech
	if !t.scanArmed {
		fx.changed = false
		return
	}
	if en, ok := f.deps.Technician.(TicketEnroller); ok && en.IsTicket(payload) {
		t.scanArmed = false
		f.techEnrol(fx, en, payload)
		return
	}
	r := scan.Classify(payload, f.scanParams())
	kind := string(r.Kind)
	if !r.OK() {
		kind += " (" + r.Message + ")"
	}
	t.result = &notice{key: "tech.test_scan_code", role: RoleEmphasis, args: map[string]string{"kind": ltr(kind), "length": ltr(strconv.Itoa(len(payload)))}}
	f.recordAudit(audit.Technician, "tech.test_scan", "qr_reader", "read "+kind)
}

// techEnrol enrols the kiosk with a scanned ticket.
func (f *Flow) techEnrol(fx *effects, en TicketEnroller, ticket string) {
	f.run(fx, "tech.enrolling", func(ctx context.Context) func(fx *effects) {
		e, err := en.Enrol(ctx, ticket)
		return func(fx *effects) {
			f.st.kind = KindTechnician
			if err != nil {
				f.st.tech.result = &notice{key: "tech.enrol_failed", role: RoleError, args: map[string]string{"error": firstStrong(err.Error())}}
				f.recordAudit(audit.Technician, "tech.enrol", "registry", "refused: "+err.Error())
				return
			}
			f.st.tech.enrolment = &e
			f.st.tech.result = &notice{key: "tech.enrol_done", role: RoleEmphasis, args: map[string]string{"kiosk": ltr(e.KioskID)}}
			f.recordAudit(audit.Technician, "tech.enrol", "registry", "enrolled as "+e.KioskID+" for "+e.Court)
		}
	}, f.within(f.cfg.LookupTimeout))
}

func (f *Flow) techCardRead(fx *effects, c Card) {
	t := &f.st.tech
	if !t.scanArmed {
		fx.changed = false
		return
	}
	state := "valid"
	if !c.ChecksOK {
		state = "check digits failed"
	}
	t.result = &notice{key: "tech.test_scan_card", role: RoleEmphasis, args: map[string]string{"kind": ltr(c.DocumentCode + " " + c.IssuingState), "state": ltr(state)}}
	f.recordAudit(audit.Technician, "tech.test_scan", "id_reader", "read "+c.DocumentCode+" "+c.IssuingState+" "+state)
}

func (f *Flow) techCardFailed(fx *effects, reason CardFailure) {
	t := &f.st.tech
	if !t.scanArmed {
		fx.changed = false
		return
	}
	t.result = &notice{key: "tech.test_scan_card", role: RoleError, args: map[string]string{"kind": ltr("-"), "state": ltr(string(reason))}}
	f.recordAudit(audit.Technician, "tech.test_scan", "id_reader", "failed "+string(reason))
}

func (f *Flow) renderTech(s *Screen) {
	st := &f.st
	t := &st.tech
	s.Title = f.msg("tech.title")
	if st.kind == KindTechPIN {
		s.Lines = []Line{{Text: f.msg("tech.enter_pin")}}
		s.Field = &FieldView{
			ID: techPINField, Label: f.msg("tech.pin"), Value: strings.Repeat("•", len(t.pin)),
			Required: true, Keyboard: KeyboardDigits, Keyboards: []Keyboard{KeyboardDigits}, MaxLength: 12, Masked: true,
		}
		s.Buttons = []Button{{ID: TapNext, Label: f.msg("nav.confirm"), Role: RolePrimary}, {ID: TapTechExit, Label: f.msg("tech.exit"), Role: RoleSecondary}}
	} else {
		for _, p := range t.peripherals {
			v := p.State
			if p.Detail != "" {
				v += " · " + p.Detail
			}
			if !p.Since.IsZero() {
				v += " · " + f.dateTime(p.Since)
			}
			role := RoleBody
			if !p.OK {
				role = RoleError
			}
			s.Rows = append(s.Rows, Row{Label: ltr(p.Name), Value: firstStrong(v), Role: role})
		}
		if r := t.registry; r != nil {
			v := f.msg("strip.offline")
			if r.Online {
				v = f.msg("strip.online")
			}
			if !r.LastSync.IsZero() {
				v += " · " + f.msgf("strip.last_sync", map[string]string{"time": f.dateTime(r.LastSync)})
			}
			if r.Address != "" {
				v += " · " + ltr(r.Address)
			}
			if r.Detail != "" {
				v += " · " + firstStrong(r.Detail)
			}
			s.Rows = append(s.Rows, Row{Label: f.msg("tech.registry"), Value: v})
		}
		if h := t.health; h != nil {
			v := f.msgf("tech.queue_stats", map[string]string{
				"depth":  ltr(strconv.Itoa(h.QueueDepth)),
				"oldest": ltr(h.OldestAge.Round(time.Second).String()),
				"used":   ltr(strconv.FormatInt(h.InUse/1024, 10) + " KiB"),
			})
			role := RoleBody
			if h.Limited {
				v += " · " + f.msg("queue.full")
				role = RoleError
			}
			s.Rows = append(s.Rows, Row{Label: f.msg("tech.queue"), Value: v, Role: role})
		} else if t.healthErr != "" {
			s.Rows = append(s.Rows, Row{Label: f.msg("tech.queue"), Value: firstStrong(t.healthErr), Role: RoleError})
		}
		if e := t.enrolment; e != nil {
			v := f.msg("tech.not_enrolled")
			role := RoleError
			if e.Enrolled {
				role = RoleBody
				v = f.msg("tech.enrolled") + " · " + ltr(e.KioskID)
				if c, ok := f.p.Court(e.Court); ok {
					v += " · " + c.Names.In(f.lang())
				}
				if !e.Expires.IsZero() {
					v += " · " + f.date(e.Expires)
				}
			}
			if e.Detail != "" {
				v += " · " + firstStrong(e.Detail)
			}
			s.Rows = append(s.Rows, Row{Label: f.msg("tech.enrolment"), Value: v, Role: role})
		}
		s.Buttons = []Button{
			{ID: TapTechRefresh, Label: f.msg("tech.refresh"), Role: RoleSecondary},
			{ID: TapTechTestPrint, Label: f.msg("tech.test_print"), Role: RoleSecondary},
			{ID: TapTechTestScan, Label: f.msg("tech.test_scan"), Role: RoleSecondary},
			{ID: TapTechExit, Label: f.msg("tech.exit"), Role: RolePrimary},
		}
		s.Accepts = Accepts{Card: t.scanArmed, Code: t.scanArmed}
	}
	if t.result != nil {
		s.Lines = append(s.Lines, Line{Text: f.msgf(t.result.key, t.result.args), Role: t.result.role})
	}
	if st.busy {
		s.Lines = append(s.Lines, Line{Text: f.msg(st.working), Role: RoleHint})
	}
}
