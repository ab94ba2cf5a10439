// Package speech gives the kiosk a voice: spoken guidance in Arabic and
// French (and English) through espeak-ng, the flow's Speaker.
//
// Say never blocks: the newest sentence waits in a one-place queue and an
// older one not yet started is dropped, since guidance for a screen the
// citizen has left helps nobody. One espeak-ng process speaks at a time;
// Stop silences it (the session ended). Texts are never logged: a screen
// may carry a citizen's name.
//
// Limits: espeak-ng has no Tamazight voice, so Tamazight sentences are not
// spoken; without espeak-ng on the image the kiosk runs silently and says
// so once in its log. The Arabic voice is espeak-ng's own (formant
// synthesis): understandable, not natural.
package speech

import (
	"bytes"
	"context"
	"log/slog"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"guichet/kiosk/flow"
)

// Voices maps a session language to an espeak-ng voice.
var Voices = map[string]string{"ar": "ar", "fr": "fr", "en": "en"}

// New returns an espeak-ng speaker, or a silent one when espeak-ng is not
// installed (logged once).
func New(log *slog.Logger) flow.Speaker {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	path, err := exec.LookPath("espeak-ng")
	if err != nil {
		log.Warn("speech: espeak-ng not installed; spoken guidance is off", "err", err)
		return Silent{}
	}
	log.Info("speech: spoken guidance through espeak-ng", "path", path)
	return NewEspeak(path, log)
}

// Silent is the speaker of a kiosk without a speech engine.
type Silent struct{}

func (Silent) Say(lang, text string) {}
func (Silent) Stop()                 {}

// Espeak speaks through an espeak-ng binary.
type Espeak struct {
	path string
	log  *slog.Logger
	// Rate is the speed in words per minute (espeak-ng -s); slower than
	// espeak-ng's 175 for people who read poorly.
	Rate string

	mu      sync.Mutex
	pending *utterance
	cancel  context.CancelFunc // of the sentence being spoken
	wake    chan struct{}
	once    sync.Once
}

type utterance struct{ voice, text string }

// NewEspeak returns a speaker running the espeak-ng at path.
func NewEspeak(path string, log *slog.Logger) *Espeak {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Espeak{path: path, log: log, Rate: "140", wake: make(chan struct{}, 1)}
}

// Say queues a sentence in a language; a language without a voice is
// dropped.
func (e *Espeak) Say(lang, text string) {
	voice, ok := Voices[lang]
	text = strings.TrimSpace(text)
	if !ok || text == "" {
		return
	}
	e.once.Do(func() { go e.run() })
	e.mu.Lock()
	e.pending = &utterance{voice, text}
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Stop silences the sentence being spoken and drops the one waiting.
func (e *Espeak) Stop() {
	e.mu.Lock()
	e.pending = nil
	if e.cancel != nil {
		e.cancel()
	}
	e.mu.Unlock()
}

func (e *Espeak) run() {
	for range e.wake {
		for {
			e.mu.Lock()
			u := e.pending
			e.pending = nil
			if u == nil {
				e.mu.Unlock()
				break
			}
			ctx, cancel := context.WithCancel(context.Background())
			e.cancel = cancel
			e.mu.Unlock()
			e.speak(ctx, *u)
			cancel()
		}
	}
}

func (e *Espeak) speak(ctx context.Context, u utterance) {
	cmd := exec.CommandContext(ctx, e.path, "-v", u.voice, "-s", e.Rate, "--stdin")
	cmd.Stdin = strings.NewReader(u.text)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	// Stop ends the whole process group (an audio helper included), and
	// does not wait on pipes a leftover child might hold.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 200 * time.Millisecond
	if err := cmd.Run(); err != nil && ctx.Err() == nil {
		// The text is not logged: it may name the citizen.
		e.log.Warn("speech: espeak-ng failed", "voice", u.voice, "err", err, "stderr", stderr.String())
	}
}
