package flow

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"guichet/kiosk/pack"
	"guichet/kiosk/request"
	"guichet/kiosk/scan"
)

// Keys are the message keys the flow shows, besides those of the forms
// (form.Form.Keys) and of kiosk/scan (scan.Messages). Every pack has them
// in every language (CheckPack).
var Keys = func() []string {
	k := []string{
		// Home and navigation.
		"home.welcome", "home.touch_to_start", "home.choose_language", "home.choose_service", "home.back_soon",
		"nav.back", "nav.next", "nav.cancel", "nav.confirm", "nav.home", "nav.help",
		"nav.finish", "nav.retry", "nav.skip", "nav.next_page", "nav.previous_page",
		"access.large_text", "access.contrast", "access.speech",
		"strip.online", "strip.offline", "strip.last_sync", "strip.never_synced",
		"strip.paper_low", "strip.paper_out", "strip.printer_fault",
		"session.still_there", "session.extend", "session.ended", "session.seconds_left",
		"working.title", "service.unavailable", "service.unavailable_next", "service.not_enrolled",
		"queue.full", "queue.full_next",
		"help.title", "help.call_centre", "help.counter", "help.callback_accepted",
		// A request.
		"privacy.title", "privacy.body", "privacy.accept", "privacy.decline", "privacy.declined",
		"scan.title", "scan.instructions", "scan.card_expired", "scan.check_failed", "scan.unreadable",
		"scan.place_flat", "scan.not_id_card", "scan.again", "scan.again_button",
		"form.step", "form.required_hint", "hint.date", "hint.name_latin", "hint.name_arabic", "hint.phone",
		"review.title", "review.instructions", "review.fee", "review.delay", "review.submit", "review.pay",
		"unit.hours", "fee.free", "fee.per_copy", "fee.assessed",
		"pay.title", "pay.choose_method", "pay.in_progress", "pay.refused", "pay.refused_next",
		"pay.timeout", "pay.unavailable", "pay.other_method", "pay.phone", "pay.confirm_on_phone",
		"pay.at_counter", "pay.not_recorded_title", "pay.not_recorded", "pay.not_recorded_no_slip",
		"submit.in_progress", "printer.printing", "printer.unavailable_before",
		"printer.paper_out", "printer.cover_open", "printer.absent", "printer.error",
		"receipt.accepted", "receipt.take", "receipt.keep", "receipt.tracking_number",
		"receipt.service", "receipt.collection_court",
		// Fines.
		"fine.how", "fine.type_pv", "fine.card_without_number", "fine.searching", "fine.offline",
		"fine.none", "fine.found", "fine.pay_this",
		// Directory.
		"directory.results", "directory.no_result", "directory.count", "directory.synced",
		"directory.new_search", "directory.searching",
		"directory.status.suspended", "directory.status.struck_off",
		// Tracking and collection.
		"tracking.status", "tracking.last_updated", "tracking.not_found", "tracking.check_number",
		"tracking.searching", "tracking.another", "tracking.offline", "tracking.checked_now",
		"tracking.synced", "tracking.synced_offline", "tracking.never_synced", "tracking.reason",
		"tracking.reprint", "tracking.reprinting", "tracking.reprinted", "tracking.reprint_none", "tracking.reprint_pending",
		"collect.title", "collect.instructions", "collect.button", "collect.fetching", "collect.done",
		"collect.failed", "collect.print_failed", "collect.identity_mismatch", "collect.not_ready",
		"collect.already_delivered", "collect.signature_invalid", "collect.offline",
		// Technician mode.
		"tech.title", "tech.enter_pin", "tech.enrolling", "tech.enrol_done", "tech.enrol_failed", "tech.pin", "tech.wrong_pin", "tech.locked", "tech.no_pin",
		"tech.checking", "tech.refreshing", "tech.printing", "tech.arming", "tech.exit", "tech.refresh",
		"tech.test_print", "tech.test_scan", "tech.test_print_done", "tech.test_print_failed",
		"tech.test_scan_ready", "tech.test_scan_failed", "tech.test_scan_code", "tech.test_scan_card",
		"tech.registry", "tech.queue", "tech.queue_stats", "tech.enrolment", "tech.enrolled",
		"tech.not_enrolled", "tech.unavailable",
	}
	for _, s := range request.States {
		k = append(k, "status."+string(s))
	}
	sort.Strings(k)
	return slices.Compact(k)
}()

// PackKeys returns every key a pack needs for the flow: Keys, the keys of
// its forms and those of kiosk/scan, sorted.
func PackKeys(p *pack.Pack) []string {
	k := slices.Clone(Keys)
	k = append(k, scan.Messages...)
	for _, fm := range p.Forms {
		k = append(k, fm.Keys()...)
	}
	sort.Strings(k)
	return slices.Compact(k)
}

// CheckPack reports the keys the flow needs that a pack lacks, per
// language; the main refuses such a pack rather than show key names.
func CheckPack(p *pack.Pack) error {
	var missing []string
	for _, l := range p.Languages {
		for _, k := range PackKeys(p) {
			if strings.TrimSpace(p.Messages[l.Code][k]) == "" {
				missing = append(missing, l.Code+":"+k)
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("flow: pack %s lacks %d messages: %s", p.Code, len(missing), strings.Join(missing, ", "))
	}
	return nil
}
