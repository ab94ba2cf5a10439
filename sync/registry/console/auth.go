package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"guichet/sync/registry"
	"guichet/sync/registry/store"
	"guichet/sync/wire"
)

// Cookie names. The __Host- prefix makes the browser refuse them unless
// they are Secure, for the whole host and set by it.
const (
	SessionCookie = "__Host-guichet-session"
	loginCookie   = "__Host-guichet-login" // the sign-in form's CSRF token
	maxForm       = 64 << 10
	maxUpload     = wire.MaxDocument + 64<<10 // a file and its form
)

// visit is one signed-in request: who, and the session's CSRF token.
type visit struct {
	Account store.Account
	Session store.ConsoleSession
}

// random returns n random bytes in base64url.
func random(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on a supported system
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func sessionHash(secret string) wire.Hash {
	return sha256.Sum256([]byte("guichet console session\x00" + secret))
}

func equal(a, b string) bool {
	return len(a) > 0 && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	c := &http.Cookie{Name: name, Value: value, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode}
	switch {
	case maxAge < 0:
		c.MaxAge = -1
	case maxAge > 0:
		c.MaxAge = int(maxAge.Seconds())
	}
	http.SetCookie(w, c)
}

// clientAddr is the address throttling counts: the TCP peer (the console
// trusts no forwarding header).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// session returns the live session of the request's cookie and its
// account, or why not ("" when there is no cookie at all).
func (c *Console) session(r *http.Request) (visit, string) {
	ck, err := r.Cookie(SessionCookie)
	if err != nil || ck.Value == "" {
		return visit{}, ""
	}
	ctx, h, now := r.Context(), sessionHash(ck.Value), c.now()
	s, err := c.st.Session(ctx, h)
	if err != nil {
		return visit{}, "expired"
	}
	if !now.Before(s.ExpiresAt) || now.Sub(s.LastSeen) > c.cfg.SessionIdle {
		c.st.DeleteSession(ctx, h)
		return visit{}, "expired"
	}
	a, err := c.st.Account(ctx, s.Account)
	if err != nil || !a.DisabledAt.IsZero() {
		c.st.DeleteSession(ctx, h)
		return visit{}, "disabled"
	}
	if now.Sub(s.LastSeen) > time.Minute { // one write a minute is enough for the idle limit
		if err := c.st.TouchSession(ctx, h, now); err == nil {
			s.LastSeen = now
		}
	}
	return visit{Account: a, Session: s}, ""
}

// signedIn wraps a page for the roles that may see it. A POST must carry
// the session's CSRF token in its form; one that does not is refused and
// audited.
func (c *Console) signedIn(h func(http.ResponseWriter, *http.Request, visit), roles ...store.Role) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, why := c.session(r)
		if v.Account.Name == "" {
			if r.Method != http.MethodGet {
				c.fail(w, r, nil, http.StatusUnauthorized, "Votre session a pris fin : reconnectez-vous.")
				return
			}
			q := url.Values{"next": {r.URL.RequestURI()}}
			if why != "" {
				q.Set("why", why)
			}
			http.Redirect(w, r, "/login?"+q.Encode(), http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost {
			var err error
			if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
				// A file sent by an operator (reference data, fines).
				r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
				err = r.ParseMultipartForm(1 << 20)
			} else {
				r.Body = http.MaxBytesReader(w, r.Body, maxForm)
				err = r.ParseForm()
			}
			if err != nil {
				c.fail(w, r, &v, http.StatusRequestEntityTooLarge, "Le formulaire est trop volumineux.")
				return
			}
			if !equal(r.PostForm.Get("csrf"), v.Session.CSRF) {
				c.audit(r.Context(), v.Account.Name, "console.csrf_refused", r.URL.Path, clientAddr(r))
				c.log.Warn("console: POST without the session's CSRF token", "account", v.Account.Name, "path", r.URL.Path)
				c.fail(w, r, &v, http.StatusForbidden, "Requête refusée : le jeton anti-falsification (CSRF) manque ou ne correspond pas à votre session. Rechargez la page et recommencez.")
				return
			}
		}
		for _, role := range roles {
			if v.Account.Role == role {
				h(w, r, v)
				return
			}
		}
		c.fail(w, r, &v, http.StatusForbidden, fmt.Sprintf("Le rôle « %s » ne donne pas accès à cette page.", roleLabel(v.Account.Role)))
	})
}

// audit records an action; a failure to record is logged, not shown.
func (c *Console) audit(ctx context.Context, actor, action, subject, detail string) {
	if err := c.st.AddAudit(ctx, store.AuditEntry{At: c.now(), Actor: actor, Action: action, Subject: subject, Detail: detail}); err != nil {
		c.log.Error("console: audit", "action", action, "err", err)
	}
}

// home is where an account lands after sign-in.
func home(role store.Role) string {
	switch role {
	case store.RoleClerk:
		return "/requests"
	case store.RoleProsecutor:
		return "/extracts"
	}
	return "/fleet"
}

func (c *Console) handleHome(w http.ResponseWriter, r *http.Request) {
	v, _ := c.session(r)
	if v.Account.Name == "" {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, home(v.Account.Role), http.StatusSeeOther)
}

type loginData struct {
	Token, Name, Next string
	Attempts, Minutes int
}

// safeNext keeps a post-sign-in destination only when it is a path of
// this console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.HasPrefix(next, "/login") {
		return ""
	}
	return next
}

func (c *Console) loginForm(w http.ResponseWriter, r *http.Request, status int, name, msg string) {
	tok := random(24)
	setCookie(w, loginCookie, tok, 30*time.Minute)
	next := safeNext(r.FormValue("next"))
	c.render(w, r, status, "login", nil, pageData{Title: "Connexion", Error: msg, Data: loginData{Token: tok, Name: name, Next: next,
		Attempts: c.cfg.AccountAttempts, Minutes: minutes(c.cfg.LoginWindow)}})
}

func (c *Console) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	if v, _ := c.session(r); v.Account.Name != "" {
		http.Redirect(w, r, home(v.Account.Role), http.StatusSeeOther)
		return
	}
	msg := ""
	switch r.URL.Query().Get("why") {
	case "expired":
		msg = "Votre session a pris fin : reconnectez-vous."
	case "disabled":
		msg = "Ce compte est désactivé."
	}
	c.loginForm(w, r, http.StatusOK, "", msg)
}

// throttled says, when key has failed too often within the window, how
// long until the oldest of those failures leaves it.
func (c *Console) throttled(ctx context.Context, key string, limit int) (time.Duration, error) {
	now := c.now()
	fails, err := c.st.LoginFailures(ctx, key, now.Add(-c.cfg.LoginWindow))
	if err != nil || len(fails) < limit {
		return 0, err
	}
	return fails[len(fails)-limit].Add(c.cfg.LoginWindow).Sub(now), nil
}

func minutes(d time.Duration) int { return int(math.Ceil(d.Minutes())) }

func (c *Console) handleLogin(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		c.loginForm(w, r, http.StatusBadRequest, "", "Le formulaire est illisible.")
		return
	}
	name, password := strings.TrimSpace(r.PostForm.Get("name")), r.PostForm.Get("password")
	ck, err := r.Cookie(loginCookie)
	if err != nil || !equal(r.PostForm.Get("csrf"), ck.Value) {
		c.audit(ctx, "", "console.csrf_refused", "/login", clientAddr(r))
		c.loginForm(w, r, http.StatusForbidden, name, "Le formulaire de connexion a expiré ou ne vient pas de cette console : recommencez.")
		return
	}
	addr := clientAddr(r)
	addrKey, keys := "addr:"+addr, []string{"addr:" + addr}
	var wait time.Duration
	accountKey := ""
	if wire.ValidKioskID(name) { // a name no account can have is counted against the address only
		accountKey = "account:" + name
		keys = append(keys, accountKey)
		wait, err = c.throttled(ctx, accountKey, c.cfg.AccountAttempts)
	}
	if err == nil && wait <= 0 {
		wait, err = c.throttled(ctx, addrKey, c.cfg.AddrAttempts)
	}
	if err != nil {
		c.log.Error("console: sign-in throttle", "err", err)
		c.loginForm(w, r, http.StatusInternalServerError, name, "La console ne peut pas vérifier la connexion pour le moment.")
		return
	}
	if wait > 0 {
		c.audit(ctx, name, "console.login_throttled", name, addr)
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		c.loginForm(w, r, http.StatusTooManyRequests, name, fmt.Sprintf(
			"Trop d'échecs de connexion pour ce compte ou depuis ce poste : nouvel essai possible dans %d min. Si vous avez oublié votre mot de passe, adressez-vous à un opérateur.", minutes(wait)))
		return
	}
	a, err := c.reg.Authenticate(ctx, name, password)
	if err != nil || accountKey == "" {
		for _, k := range keys {
			if err := c.st.AddLoginFailure(ctx, k, c.now()); err != nil {
				c.log.Error("console: record failed sign-in", "err", err)
			}
		}
		c.audit(ctx, name, "console.login_failed", name, addr)
		msg := "Compte inconnu ou mot de passe incorrect."
		if err != nil && strings.Contains(err.Error(), "disabled") {
			msg = "Ce compte est désactivé."
		}
		c.loginForm(w, r, http.StatusUnauthorized, name, msg)
		return
	}
	if err := c.st.ClearLoginFailures(ctx, accountKey); err != nil { // the address keeps its count
		c.log.Warn("console: clear failed sign-ins", "err", err)
	}
	secret, now := random(32), c.now()
	s := store.ConsoleSession{Hash: sessionHash(secret), Account: a.Name, CSRF: random(32), Addr: addr, CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(c.cfg.SessionMax)}
	if err := c.st.CreateSession(ctx, s); err != nil {
		c.log.Error("console: create session", "err", err)
		c.loginForm(w, r, http.StatusInternalServerError, name, "La console ne peut pas ouvrir de session pour le moment.")
		return
	}
	if old, err := r.Cookie(SessionCookie); err == nil && old.Value != "" {
		c.st.DeleteSession(ctx, sessionHash(old.Value)) // one session per browser
	}
	c.audit(ctx, a.Name, "console.login", a.Name, addr)
	setCookie(w, loginCookie, "", -1)
	setCookie(w, SessionCookie, secret, 0) // a browser-session cookie; the server ends it
	next := safeNext(r.PostForm.Get("next"))
	if next == "" {
		next = home(a.Role)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (c *Console) handleLogout(w http.ResponseWriter, r *http.Request, v visit) {
	if err := c.st.DeleteSession(r.Context(), v.Session.Hash); err != nil {
		c.log.Error("console: delete session", "err", err)
	}
	c.audit(r.Context(), v.Account.Name, "console.logout", v.Account.Name, "")
	setCookie(w, SessionCookie, "", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// errPassword is a wrong password at a signature.
var errPassword = errors.New("console: wrong password")

// confirm checks the signed-in person's password again before a
// signature, counting failures as sign-in failures: a left-open session
// is not enough to sign.
func (c *Console) confirm(r *http.Request, v visit) (string, error) {
	ctx := r.Context()
	key := "account:" + v.Account.Name
	wait, err := c.throttled(ctx, key, c.cfg.AccountAttempts)
	if err != nil {
		return "", err
	}
	if wait > 0 {
		return fmt.Sprintf("Trop d'échecs de mot de passe : nouvel essai possible dans %d min.", minutes(wait)), errPassword
	}
	if _, err := c.reg.Authenticate(ctx, v.Account.Name, r.PostForm.Get("password")); err != nil {
		c.st.AddLoginFailure(ctx, key, c.now())
		c.audit(ctx, v.Account.Name, "console.signature_password_refused", r.URL.Path, clientAddr(r))
		return "Mot de passe incorrect : la signature n'a pas été apposée.", errPassword
	}
	return "", nil
}

func (c *Console) handleMe(w http.ResponseWriter, r *http.Request, v visit) {
	c.render(w, r, http.StatusOK, "me", &v, pageData{Title: "Mon compte", Nav: "me", Data: v.Session})
}

// handlePassword changes the signed-in person's password: the current
// one first (throttled like a sign-in), the new one twice.
func (c *Console) handlePassword(w http.ResponseWriter, r *http.Request, v visit) {
	ctx := r.Context()
	page := func(status int, msg, notice string) {
		c.render(w, r, status, "me", &v, pageData{Title: "Mon compte", Nav: "me", Error: msg, Notice: notice, Data: v.Session})
	}
	if msg, err := c.confirm(r, v); err != nil {
		if errors.Is(err, errPassword) {
			page(http.StatusUnauthorized, strings.Replace(msg, "la signature n'a pas été apposée", "il n'a pas été changé", 1), "")
		} else {
			c.internal(w, r, &v, "password: confirm", err)
		}
		return
	}
	pw := r.PostForm.Get("new")
	if pw != r.PostForm.Get("again") {
		page(http.StatusUnprocessableEntity, "Les deux saisies du nouveau mot de passe diffèrent.", "")
		return
	}
	if pw == r.PostForm.Get("password") {
		page(http.StatusUnprocessableEntity, "Le nouveau mot de passe doit différer de l'actuel.", "")
		return
	}
	hash, err := registry.HashPassword(pw)
	if err != nil {
		page(http.StatusUnprocessableEntity, "Le mot de passe doit compter au moins 12 caractères.", "")
		return
	}
	a, err := c.st.Account(ctx, v.Account.Name)
	if err != nil {
		c.internal(w, r, &v, "password: account", err)
		return
	}
	a.PasswordHash = hash
	if err := c.st.PutAccount(ctx, a); err != nil {
		c.internal(w, r, &v, "password: store", err)
		return
	}
	c.audit(ctx, v.Account.Name, "account.password", v.Account.Name, "")
	page(http.StatusOK, "", "Mot de passe changé.")
}
