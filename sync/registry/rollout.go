package registry

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"guichet/sync/registry/store"
	"guichet/sync/update"
	"guichet/sync/wire"
)

// Staged rollout: operations choose a release and cohorts — pilot kiosks
// by name, then shares of the fleet — and the registry offers the release
// stage by stage through the change feed (a signed "update" document), a
// stage after the previous one finished. It watches what the kiosks report
// in their telemetry (the version running, the versions that failed) and
// halts by itself when the failed share of a stage reaches the threshold;
// kiosks offered the release that have not installed it yet are told to
// let it go. Operators pause, resume and abort.

// DocUpdate names the signed update announcement; its payload is an
// update.Announcement (a zero release withdraws the offer).
const DocUpdate = "update"

// RolloutSpec is what an operator asks a rollout for.
type RolloutSpec struct {
	Version          string               `json:"version"`
	Stages           []store.RolloutStage `json:"stages"`
	FailureThreshold float64              `json:"failure_threshold"` // 0 < t ≤ 1; default 0.05
	Deadline         time.Time            `json:"deadline,omitzero"`
}

// ErrRollout is wrapped by the rollout operations an operator can get
// wrong: a bad spec, another rollout in progress, an action the state
// forbids.
var ErrRollout = errors.New("registry: rollout refused")

func rolloutErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrRollout, fmt.Sprintf(format, a...))
}

// StartRollout starts a rollout of a release; one runs at a time.
func (s *Server) StartRollout(ctx context.Context, operator string, spec RolloutSpec) (store.Rollout, error) {
	v, err := update.ParseVersion(spec.Version)
	if err != nil {
		return store.Rollout{}, rolloutErr("the version %q is not a release version (MAJOR.MINOR.PATCH)", spec.Version)
	}
	spec.Version = v.String()
	if len(spec.Stages) == 0 || len(spec.Stages) > 10 {
		return store.Rollout{}, rolloutErr("give 1 to 10 stages")
	}
	last := 0
	for i, st := range spec.Stages {
		switch {
		case len(st.Kiosks) == 0 && (st.Percent <= 0 || st.Percent > 100):
			return store.Rollout{}, rolloutErr("stage %d names no kiosk and no share of 1 to 100 %%", i+1)
		case len(st.Kiosks) > 0 && st.Percent != 0:
			return store.Rollout{}, rolloutErr("stage %d names kiosks and a share: one or the other", i+1)
		case st.Percent != 0 && st.Percent < last:
			return store.Rollout{}, rolloutErr("stage %d's share %d %% is below the previous %d %%: shares are cumulative", i+1, st.Percent, last)
		}
		last = max(last, st.Percent)
		for _, k := range st.Kiosks {
			if _, err := s.st.Kiosk(ctx, k); err != nil {
				return store.Rollout{}, rolloutErr("stage %d: kiosk %q: %v", i+1, k, err)
			}
		}
		if spec.Stages[i].Name == "" {
			spec.Stages[i].Name = fmt.Sprintf("stage %d", i+1)
		}
	}
	if spec.FailureThreshold == 0 {
		spec.FailureThreshold = 0.05
	}
	if spec.FailureThreshold <= 0 || spec.FailureThreshold > 1 {
		return store.Rollout{}, rolloutErr("the failure threshold %.2f is not in (0, 1]", spec.FailureThreshold)
	}
	rs, err := s.st.Rollouts(ctx)
	if err != nil {
		return store.Rollout{}, err
	}
	for _, r := range rs {
		if r.State == store.RolloutRunning || r.State == store.RolloutPaused {
			return store.Rollout{}, rolloutErr("rollout %s of %s is %s: finish or abort it first", r.ID, r.Version, r.State)
		}
	}
	now := s.now()
	r := store.Rollout{
		ID: spec.Version + "-" + now.Format("20060102T150405"), Version: spec.Version, Revision: 1, Stages: spec.Stages,
		State: store.RolloutRunning, FailureThreshold: spec.FailureThreshold, Deadline: spec.Deadline.UTC(),
		CreatedBy: operator, CreatedAt: now, UpdatedAt: now, Offered: map[string]int{},
	}
	if err := s.st.PutRollout(ctx, r); err != nil {
		return store.Rollout{}, err
	}
	s.auditCtx(ctx, operator, "rollout.start", r.ID, fmt.Sprintf("%s in %d stages, halts at %.0f %% failed", r.Version, len(r.Stages), 100*r.FailureThreshold))
	if err := s.AdvanceRollouts(ctx); err != nil {
		return r, err
	}
	return s.st.Rollout(ctx, r.ID)
}

// ControlRollout pauses, resumes or aborts a rollout. Aborting withdraws
// the release from the kiosks that have not installed it.
func (s *Server) ControlRollout(ctx context.Context, operator, id, action string) (store.Rollout, error) {
	for {
		r, err := s.st.Rollout(ctx, id)
		if err != nil {
			return r, err
		}
		var to store.RolloutState
		switch {
		case action == "pause" && r.State == store.RolloutRunning:
			to = store.RolloutPaused
		case action == "resume" && (r.State == store.RolloutPaused || r.State == store.RolloutHalted):
			to = store.RolloutRunning
		case action == "abort" && (r.State == store.RolloutRunning || r.State == store.RolloutPaused || r.State == store.RolloutHalted):
			to = store.RolloutAborted
		default:
			return r, rolloutErr("cannot %s a rollout that is %s", action, r.State)
		}
		r.State, r.Revision, r.UpdatedAt = to, r.Revision+1, s.now()
		if to == store.RolloutAborted {
			r.Reason = "aborted by " + operator
		} else if to == store.RolloutRunning {
			r.Reason = ""
		}
		err = s.st.PutRollout(ctx, r)
		if errors.Is(err, store.ErrStale) {
			continue
		}
		if err != nil {
			return r, err
		}
		s.auditCtx(ctx, operator, "rollout."+action, r.ID, r.Version)
		if to == store.RolloutAborted {
			if err := s.withdraw(ctx, r); err != nil {
				return r, err
			}
		}
		if to == store.RolloutRunning {
			return r, s.AdvanceRollouts(ctx)
		}
		return r, nil
	}
}

// bucket places a kiosk in [0, 100) for a rollout: the same kiosk in the
// same place for the whole rollout, another place in the next one.
func bucket(rollout, kiosk string) int {
	h := sha256.Sum256([]byte(rollout + "\x00" + kiosk))
	return int(binary.BigEndian.Uint64(h[:8]) % 100)
}

// stageOf is the first stage a kiosk belongs to, or -1.
func stageOf(r store.Rollout, kiosk string) int {
	b := bucket(r.ID, kiosk)
	for i, st := range r.Stages {
		if slices.Contains(st.Kiosks, kiosk) || (st.Percent > 0 && b < st.Percent) {
			return i
		}
	}
	return -1
}

// outcome is what a kiosk's telemetry says of a release.
type outcome int

const (
	pending outcome = iota
	committed
	failed
)

func outcomeOf(k store.Kiosk, version string) outcome {
	t := k.Telemetry
	if t == nil {
		return pending
	}
	if t.Update != nil && slices.Contains(t.Update.Failed, version) {
		return failed
	}
	if t.SoftwareVersion == version && (t.Update == nil || t.Update.State == "" || t.Update.State == "committed" || t.Update.State == "idle") {
		return committed
	}
	return pending
}

// StageCount is how the kiosks of one stage stand.
type StageCount struct {
	Offered, Committed, Failed, Pending int
}

// RolloutCounts counts each stage's kiosks.
func RolloutCounts(r store.Rollout, kiosks []store.Kiosk) []StageCount {
	counts := make([]StageCount, len(r.Stages))
	for _, k := range kiosks {
		st, ok := r.Offered[k.ID]
		if !ok || st < 0 || st >= len(counts) {
			continue
		}
		c := &counts[st]
		c.Offered++
		switch outcomeOf(k, r.Version) {
		case committed:
			c.Committed++
		case failed:
			c.Failed++
		default:
			c.Pending++
		}
	}
	return counts
}

// minJudged is how many kiosks of a stage must have finished before its
// failure rate can halt the rollout (all of them if the stage is smaller).
const minJudged = 10

// AdvanceRollouts moves the running rollout on: it offers the release to
// the kiosks of the stages reached, halts it when a stage fails too often,
// and opens the next stage when the current one finished. The registry
// calls it periodically; several registry processes may, each step is
// written once (store.ErrStale).
func (s *Server) AdvanceRollouts(ctx context.Context) error {
	rs, err := s.st.Rollouts(ctx)
	if err != nil {
		return err
	}
	for _, r := range rs {
		if r.State != store.RolloutRunning {
			continue
		}
		for attempt := 0; attempt < 5; attempt++ {
			err = s.advance(ctx, r)
			if !errors.Is(err, store.ErrStale) {
				break
			}
			if r, err = s.st.Rollout(ctx, r.ID); err != nil || r.State != store.RolloutRunning {
				break
			}
		}
		if err != nil && !errors.Is(err, store.ErrStale) {
			return err
		}
	}
	return nil
}

func (s *Server) advance(ctx context.Context, r store.Rollout) error {
	kiosks, err := s.st.Kiosks(ctx)
	if err != nil {
		return err
	}
	var live []store.Kiosk
	for _, k := range kiosks {
		if k.RevokedAt.IsZero() {
			live = append(live, k)
		}
	}
	for {
		// Offer the release to every kiosk of the stages reached.
		var offer []string
		for _, k := range live {
			if _, done := r.Offered[k.ID]; done {
				continue
			}
			if st := stageOf(r, k.ID); st >= 0 && st <= r.Stage {
				offer = append(offer, k.ID)
				r.Offered[k.ID] = st
			}
		}
		if len(offer) > 0 {
			if err := s.putRollout(ctx, &r); err != nil {
				return err
			}
			if err := s.announce(ctx, r, offer, false); err != nil {
				return err
			}
		}
		c := RolloutCounts(r, live)[r.Stage]
		judged := c.Committed + c.Failed
		rate := 0.0
		if judged > 0 {
			rate = float64(c.Failed) / float64(judged)
		}
		if c.Failed > 0 && rate >= r.FailureThreshold && (judged >= min(minJudged, c.Offered) || float64(c.Failed) >= r.FailureThreshold*float64(c.Offered)) {
			r.State = store.RolloutHalted
			r.Reason = fmt.Sprintf("%s: %d of %d kiosks that finished failed (%.0f %%), threshold %.0f %%", r.Stages[r.Stage].Name, c.Failed, judged, 100*rate, 100*r.FailureThreshold)
			if err := s.putRollout(ctx, &r); err != nil {
				return err
			}
			s.log.Error("rollout halted", "rollout", r.ID, "reason", r.Reason)
			s.auditCtx(ctx, "registry", "rollout.halted", r.ID, r.Reason)
			return s.withdraw(ctx, r)
		}
		if c.Pending > 0 {
			return nil
		}
		// The stage finished: open the next one, or end.
		if r.Stage == len(r.Stages)-1 {
			r.State = store.RolloutDone
			if err := s.putRollout(ctx, &r); err != nil {
				return err
			}
			s.auditCtx(ctx, "registry", "rollout.done", r.ID, r.Version)
			return nil
		}
		r.Stage++
		if err := s.putRollout(ctx, &r); err != nil {
			return err
		}
		s.auditCtx(ctx, "registry", "rollout.stage", r.ID, r.Stages[r.Stage].Name)
	}
}

func (s *Server) putRollout(ctx context.Context, r *store.Rollout) error {
	r.Revision++
	r.UpdatedAt = s.now()
	return s.st.PutRollout(ctx, *r)
}

// announce appends the signed announcement (or its withdrawal) to the
// kiosks' change feeds.
func (s *Server) announce(ctx context.Context, r store.Rollout, kiosks []string, withdrawn bool) error {
	if len(kiosks) == 0 {
		return nil
	}
	a := update.Announcement{Rollout: r.ID, ActivateBy: r.Deadline, Issued: s.now()}
	if !withdrawn {
		v, err := update.ParseVersion(r.Version)
		if err != nil {
			return err
		}
		a.Release, a.Stage = v, r.Stage
	}
	payload, err := json.Marshal(a)
	if err != nil {
		return err
	}
	d, err := s.sign(ctx, DocUpdate, payload, time.Time{})
	if err != nil {
		return err
	}
	for _, id := range kiosks {
		k, err := s.st.Kiosk(ctx, id)
		if err != nil {
			return err
		}
		if !hasCap(k.Capabilities, wire.CapFeedUpdate) {
			continue
		}
		if _, err := s.st.AppendChange(ctx, id, wire.Change{Kind: wire.ChangeUpdateManifest, At: s.now(), Document: &d}); err != nil {
			return fmt.Errorf("registry: announce %s to %s: %w", r.Version, id, err)
		}
		s.hub.notify(id)
	}
	return nil
}

// withdraw tells the kiosks offered the release that have not finished
// with it to let it go.
func (s *Server) withdraw(ctx context.Context, r store.Rollout) error {
	kiosks, err := s.st.Kiosks(ctx)
	if err != nil {
		return err
	}
	var pend []string
	for _, k := range kiosks {
		if _, ok := r.Offered[k.ID]; ok && outcomeOf(k, r.Version) == pending {
			pend = append(pend, k.ID)
		}
	}
	return s.announce(ctx, r, pend, true)
}

// runRollouts advances rollouts every interval until ctx ends.
func (s *Server) runRollouts(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.AdvanceRollouts(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("rollouts", "err", err)
		}
	}
}

// --- the operators' API ---

// PathAdminRollouts: GET lists; POST RolloutSpec starts one;
// POST {id}/pause, {id}/resume, {id}/abort.
const PathAdminRollouts = "/v1/admin/rollouts"

func (s *Server) rolloutRoutes(mux *http.ServeMux) {
	mux.Handle("GET "+PathAdminRollouts, http.HandlerFunc(s.handleRollouts))
	mux.Handle("POST "+PathAdminRollouts, http.HandlerFunc(s.handleStartRollout))
	mux.Handle("POST "+PathAdminRollouts+"/{id}/{action}", http.HandlerFunc(s.handleControlRollout))
}

func (s *Server) handleRollouts(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.person(w, r, store.RoleOperator, store.RoleViewer); !ok {
		return
	}
	rs, err := s.st.Rollouts(r.Context())
	if err != nil {
		s.internal(w, "rollouts", err)
		return
	}
	writeJSON(w, http.StatusOK, rs)
}

func (s *Server) handleStartRollout(w http.ResponseWriter, r *http.Request) {
	a, ok := s.person(w, r, store.RoleOperator)
	if !ok {
		return
	}
	var spec RolloutSpec
	if !decodeStrict(w, r, &spec) {
		return
	}
	ro, err := s.StartRollout(r.Context(), a.Name, spec)
	s.rolloutAnswer(w, http.StatusCreated, ro, err)
}

func (s *Server) handleControlRollout(w http.ResponseWriter, r *http.Request) {
	a, ok := s.person(w, r, store.RoleOperator)
	if !ok {
		return
	}
	ro, err := s.ControlRollout(r.Context(), a.Name, r.PathValue("id"), r.PathValue("action"))
	s.rolloutAnswer(w, http.StatusOK, ro, err)
}

func (s *Server) rolloutAnswer(w http.ResponseWriter, status int, ro store.Rollout, err error) {
	switch {
	case errors.Is(err, ErrRollout):
		writeProblem(w, problem(http.StatusConflict, wire.CodeState, err.Error()))
	case errors.Is(err, store.ErrNotFound):
		writeProblem(w, problem(http.StatusNotFound, wire.CodeNotFound, "no such rollout"))
	case err != nil:
		s.internal(w, "rollout", err)
	default:
		writeJSON(w, status, ro)
	}
}

// PathUpdates is where the registry serves the update repository (TUF
// metadata and release files, update.NewRepositoryHandler) with ranges for
// resumable downloads. It needs no client certificate: the updater runs
// apart from the kiosk and does not hold its key, releases hold no secret
// (nothing secret is baked into the kiosk's software), and what a kiosk
// installs is trusted through the signed metadata, not the channel.
const PathUpdates = "/v1/updates/"

// updatesHandler serves Config.UpdatesDir.
func (s *Server) updatesHandler() http.Handler {
	return http.StripPrefix(strings.TrimSuffix(PathUpdates, "/"), update.NewRepositoryHandler(s.cfg.UpdatesDir))
}
