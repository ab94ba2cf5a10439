package flow_test

import (
	"slices"
	"strings"
	"testing"

	"guichet/kiosk/flow"
	"guichet/kiosk/form"
	"guichet/kiosk/pack"
)

// printedPrefixes are the keys of the printed documents (kiosk/receipt,
// kiosk/extract), which the screens do not show.
var printedPrefixes = []string{"receipt.", "payment.", "slip.", "testpage.", "callback.", "diagnostics.", "extract."}

// validationKeys are keys kiosk/form may return for any pack's form, kept
// in every pack whether or not its forms need them today.
var validationKeys = []string{
	form.KeyRequired, form.KeyOneOfRequired, form.KeyUnknownField, form.KeyTooShort, form.KeyTooLong,
	form.KeyFormat, form.KeyNameLatinInvalid, form.KeyNameArabicInvalid, form.KeyDateInvalid,
	form.KeyDateInFuture, form.KeyDateInPast, form.KeyDateTooOld, form.KeyYearInvalid,
	form.KeyNumberInvalid, form.KeyNumberTooSmall, form.KeyNumberTooLarge, form.KeyPhoneInvalid,
	form.KeyChoiceUnknown, form.KeyCourtUnknown, form.KeyCityUnknown, form.KeyPVInvalid,
	form.KeyTrackingInvalid, form.KeyCINInvalid, form.KeyDocumentNumberInvalid,
}

func TestEveryPackHasTheFlowsKeys(t *testing.T) {
	for _, code := range pack.EmbeddedCodes() {
		p, err := pack.Embedded(code)
		if err != nil {
			t.Fatal(err)
		}
		if err := flow.CheckPack(p); err != nil {
			t.Error(err)
		}
	}
}

func TestNoUnusedKeys(t *testing.T) {
	for _, code := range pack.EmbeddedCodes() {
		p, err := pack.Embedded(code)
		if err != nil {
			t.Fatal(err)
		}
		used := flow.PackKeys(p)
		for lang, table := range p.Messages {
			for k := range table {
				if slices.Contains(used, k) || slices.Contains(pack.ScreenKeys, k) || slices.Contains(validationKeys, k) {
					continue
				}
				if slices.ContainsFunc(printedPrefixes, func(pre string) bool { return strings.HasPrefix(k, pre) }) {
					continue
				}
				t.Errorf("pack %s: %s message %q is used by no screen", code, lang, k)
			}
		}
	}
}

func TestCheckPackNamesWhatIsMissing(t *testing.T) {
	p, err := pack.Embedded("ma")
	if err != nil {
		t.Fatal(err)
	}
	delete(p.Messages["zgh"], "collect.done")
	err = flow.CheckPack(p)
	if err == nil || !strings.Contains(err.Error(), "zgh:collect.done") {
		t.Errorf("CheckPack = %v, want zgh:collect.done named", err)
	}
}
