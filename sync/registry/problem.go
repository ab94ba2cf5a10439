package registry

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"guichet/sync/wire"
)

// writeProblem answers with p as RFC 9457 problem JSON, and Retry-After
// when p says when to come back.
func writeProblem(w http.ResponseWriter, p *wire.Problem) {
	if p.RetryAfter > 0 {
		secs := int((p.RetryAfter.Std() + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	w.Header().Set("Content-Type", wire.ProblemContentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func problem(status int, code wire.ErrorCode, detail string) *wire.Problem {
	return wire.NewProblem(status, code, http.StatusText(status), detail)
}

// writeJSON answers 200 with v.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeProblem(w, problem(http.StatusInternalServerError, wire.CodeInternal, "encoding the answer failed"))
		return
	}
	w.Header().Set("Content-Type", wire.ContentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeMessage validates and answers a wire message.
func writeMessage(w http.ResponseWriter, m wire.Message) {
	b, err := wire.Marshal(m)
	if err != nil {
		writeProblem(w, problem(http.StatusInternalServerError, wire.CodeInternal, "the registry built an invalid answer"))
		return
	}
	w.Header().Set("Content-Type", wire.ContentType)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}
