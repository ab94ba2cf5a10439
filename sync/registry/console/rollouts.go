package console

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"guichet/sync/registry"
	"guichet/sync/registry/store"
)

// rolloutsData is the rollouts page.
type rolloutsData struct {
	Rollouts []rolloutRow
	Form     rolloutForm
}

type rolloutRow struct {
	store.Rollout
	Counts           []registry.StageCount
	ThresholdPercent float64
}

type rolloutForm struct {
	Version, Pilots, Shares, Deadline string
	Threshold                         int // per cent
}

func (c *Console) rolloutsPage(w http.ResponseWriter, r *http.Request, v visit, status int, form rolloutForm, msg, notice string) {
	ctx := r.Context()
	rs, err := c.st.Rollouts(ctx)
	if err != nil {
		c.internal(w, r, &v, "rollouts", err)
		return
	}
	ks, err := c.st.Kiosks(ctx)
	if err != nil {
		c.internal(w, r, &v, "rollouts", err)
		return
	}
	d := rolloutsData{Form: form}
	for _, ro := range rs {
		d.Rollouts = append(d.Rollouts, rolloutRow{Rollout: ro, Counts: registry.RolloutCounts(ro, ks), ThresholdPercent: 100 * ro.FailureThreshold})
	}
	c.render(w, r, status, "rollouts", &v, pageData{Title: "Déploiements", Nav: "rollouts", Error: msg, Notice: notice, Data: d})
}

func (c *Console) handleRollouts(w http.ResponseWriter, r *http.Request, v visit) {
	c.rolloutsPage(w, r, v, http.StatusOK, rolloutForm{Shares: "10, 100", Threshold: 5}, "", "")
}

// parseStages reads the form's stages: the pilot kiosks (comma- or
// space-separated), then the cumulative shares ("10, 100").
func parseStages(f rolloutForm) ([]store.RolloutStage, error) {
	var stages []store.RolloutStage
	if pilots := strings.FieldsFunc(f.Pilots, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }); len(pilots) > 0 {
		stages = append(stages, store.RolloutStage{Name: "pilote", Kiosks: pilots})
	}
	for _, p := range strings.FieldsFunc(f.Shares, func(r rune) bool { return r == ',' || r == ' ' }) {
		n, err := strconv.Atoi(strings.TrimSuffix(p, "%"))
		if err != nil {
			return nil, fmt.Errorf("la part %q n'est pas un nombre", p)
		}
		stages = append(stages, store.RolloutStage{Name: fmt.Sprintf("%d %%", n), Percent: n})
	}
	if len(stages) == 0 {
		return nil, errors.New("donnez au moins une étape")
	}
	return stages, nil
}

func (c *Console) handleStartRollout(w http.ResponseWriter, r *http.Request, v visit) {
	f := r.PostForm
	form := rolloutForm{Version: strings.TrimSpace(f.Get("version")), Pilots: f.Get("pilots"), Shares: f.Get("shares"), Deadline: strings.TrimSpace(f.Get("deadline"))}
	form.Threshold, _ = strconv.Atoi(f.Get("threshold"))
	refuse := func(msg string) { c.rolloutsPage(w, r, v, http.StatusUnprocessableEntity, form, msg, "") }
	stages, err := parseStages(form)
	if err != nil {
		refuse("Étapes refusées : " + err.Error() + ".")
		return
	}
	spec := registry.RolloutSpec{Version: form.Version, Stages: stages, FailureThreshold: float64(form.Threshold) / 100}
	if form.Deadline != "" {
		if spec.Deadline, err = time.ParseInLocation("2006-01-02T15:04", form.Deadline, c.cfg.Location); err != nil {
			refuse("L'échéance doit être une date et une heure (AAAA-MM-JJTHH:MM).")
			return
		}
	}
	ro, err := c.reg.StartRollout(r.Context(), v.Account.Name, spec)
	switch {
	case errors.Is(err, registry.ErrRollout):
		refuse("Déploiement refusé : " + strings.TrimPrefix(err.Error(), "registry: rollout refused: ") + ".")
	case err != nil:
		c.internal(w, r, &v, "start rollout", err)
	default:
		c.rolloutsPage(w, r, v, http.StatusCreated, rolloutForm{Shares: "10, 100", Threshold: 5}, "",
			fmt.Sprintf("Déploiement %s lancé : %d borne(s) à la première étape.", ro.ID, len(ro.Offered)))
	}
}

func (c *Console) handleControlRollout(w http.ResponseWriter, r *http.Request, v visit) {
	action := r.PathValue("action")
	labels := map[string]string{"pause": "suspendu", "resume": "repris", "abort": "abandonné"}
	if _, ok := labels[action]; !ok {
		c.fail(w, r, &v, http.StatusNotFound, "Action inconnue.")
		return
	}
	ro, err := c.reg.ControlRollout(r.Context(), v.Account.Name, r.PathValue("id"), action)
	form := rolloutForm{Shares: "10, 100", Threshold: 5}
	switch {
	case errors.Is(err, registry.ErrRollout):
		c.rolloutsPage(w, r, v, http.StatusConflict, form, "Refusé : "+strings.TrimPrefix(err.Error(), "registry: rollout refused: ")+".", "")
	case errors.Is(err, store.ErrNotFound):
		c.fail(w, r, &v, http.StatusNotFound, "Déploiement inconnu.")
	case err != nil:
		c.internal(w, r, &v, "rollout "+action, err)
	default:
		c.rolloutsPage(w, r, v, http.StatusOK, form, "", fmt.Sprintf("Déploiement %s %s.", ro.ID, labels[action]))
	}
}
