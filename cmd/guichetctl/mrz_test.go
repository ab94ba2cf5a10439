package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// mrzGolden is a report of the MRZ package's shared table; the command must
// print exactly that.
func mrzGolden(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "drivers", "mrz", "testdata", name+".golden"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMRZCommand(t *testing.T) {
	const now = "--now=2026-03-15" // the table's today
	cnie := []string{now, "--national-field", "optional_data_1", "--national-pattern", "[A-Z]{1,2}[0-9]{1,6}", "--national-states", "MAR"}
	tests := []struct {
		name       string
		args       []string
		stdin      string
		wantCode   int
		wantGolden string // "" when stdout must be empty
		wantStderr string
	}{
		{
			name:       "ICAO TD1 specimen, CR LF",
			args:       []string{now},
			stdin:      "I<UTOD231458907<<<<<<<<<<<<<<<\r\n7408122F1204159UTO<<<<<<<<<<<6\r\nERIKSSON<<ANNA<MARIA<<<<<<<<<<\r\n",
			wantGolden: "td1_icao_specimen",
		},
		{
			name:       "CNIE with the national number located",
			args:       cnie,
			stdin:      "I<MARZT04182739BE123456<<<<<<<\n8803045F3109306MAR<<<<<<<<<<<4\nEL<ALAOUI<<FATIMA<ZAHRA<<<<<<<\n",
			wantGolden: "td1_morocco_cnie",
		},
		{
			name:       "TD3 specimen with STX/ETX framing and CR",
			args:       []string{now},
			stdin:      "\x02P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\rL898902C36UTO7408122F1204159ZE184226B<<<<<10\x03",
			wantGolden: "td3_icao_specimen",
		},
		{
			name:       "broken check digit",
			args:       []string{now},
			stdin:      "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C37UTO7408122F1204159ZE184226B<<<<<10\n",
			wantCode:   1,
			wantGolden: "td3_bad_document_number_check",
			wantStderr: "invalid MRZ: document_number check_digit, composite composite_check",
		},
		{
			name:       "not an MRZ",
			args:       []string{now},
			stdin:      "GCH-2026-000123-7\n",
			wantCode:   2,
			wantStderr: "not a machine-readable zone: 1 line of 17 characters",
		},
		{name: "empty input", stdin: "", wantCode: 2, wantStderr: "not a machine-readable zone: no lines"},
		{name: "huge input", stdin: strings.Repeat("<", 1<<17), wantCode: 2, wantStderr: "more than 65536 bytes"},
		{name: "bad date flag", args: []string{"--now", "15/03/2026"}, wantCode: 3, wantStderr: "want YYYY-MM-DD"},
		{name: "unknown flag", args: []string{"--colour"}, wantCode: 3, wantStderr: "flag provided but not defined"},
		{name: "argument", args: []string{"P<UTO"}, wantCode: 3, wantStderr: "read from standard input"},
		{
			name:       "bad national field",
			args:       []string{"--national-field", "cin"},
			stdin:      "I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<\n",
			wantCode:   3,
			wantStderr: `unknown field "cin"`,
		},
		{
			name:       "bad national pattern",
			args:       []string{"--national-field", "optional_data_1", "--national-pattern", "[A-Z"},
			stdin:      "I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<\n",
			wantCode:   3,
			wantStderr: "national number pattern",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			c := &cli{stdin: strings.NewReader(tc.stdin), stdout: &stdout, stderr: &stderr}
			code := run(context.Background(), c, append([]string{"mrz"}, tc.args...))
			if code != tc.wantCode {
				t.Errorf("guichetctl mrz %q exit status = %d, want %d (stderr %q)", tc.args, code, tc.wantCode, stderr.String())
			}
			want := ""
			if tc.wantGolden != "" {
				want = mrzGolden(t, tc.wantGolden)
			}
			if diff := cmp.Diff(want, stdout.String()); diff != "" {
				t.Errorf("guichetctl mrz %q stdout mismatch (-want +got):\n%s", tc.args, diff)
			}
			if !strings.Contains(stderr.String(), tc.wantStderr) || tc.wantStderr == "" && stderr.Len() > 0 {
				t.Errorf("guichetctl mrz %q stderr = %q, want it to contain %q", tc.args, stderr.String(), tc.wantStderr)
			}
		})
	}
}

// TestMRZCommandKeys pins the JSON contract: exactly these keys, errors a
// list (never null), valid a bool.
func TestMRZCommandKeys(t *testing.T) {
	want := []string{
		"birth_date", "document_code", "document_number", "errors", "expiry_date", "format",
		"given_names", "issuing_state", "national_number", "nationality", "optional_data_1",
		"optional_data_2", "sex", "surname", "valid",
	}
	for _, stdin := range []string{
		"I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nD231458907UTO7408122F1204159<<<<<<<6\n",
		"V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nL8988901C4XXX4009078F9612108<<<<<<<<\n",
	} {
		var stdout, stderr bytes.Buffer
		run(context.Background(), &cli{stdin: strings.NewReader(stdin), stdout: &stdout, stderr: &stderr}, []string{"mrz"})
		var got map[string]json.RawMessage
		if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
			t.Fatalf("guichetctl mrz output %q: %v", stdout.String(), err)
		}
		keys := make([]string, 0, len(got))
		for k := range got {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if diff := cmp.Diff(want, keys); diff != "" {
			t.Errorf("guichetctl mrz keys mismatch (-want +got):\n%s", diff)
		}
		if e := string(got["errors"]); !strings.HasPrefix(e, "[") {
			t.Errorf("guichetctl mrz errors = %s, want a list", e)
		}
		if v := string(got["valid"]); v != "true" && v != "false" {
			t.Errorf("guichetctl mrz valid = %s, want a bool", v)
		}
	}
}

func TestMRZCommandListed(t *testing.T) {
	var stdout bytes.Buffer
	run(context.Background(), &cli{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stdout}, []string{"help"})
	if !strings.Contains(stdout.String(), "mrz") {
		t.Errorf("guichetctl help = %q, want it to list mrz", stdout.String())
	}
}
