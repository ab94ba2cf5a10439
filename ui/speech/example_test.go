package speech_test

import (
	"log/slog"
	"os"

	"guichet/ui/speech"
)

// The kiosk's main gives the flow a speaker; without espeak-ng it is silent.
func Example() {
	s := speech.New(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	s.Say("ar", "المرجو اختيار اللغة")
	s.Stop()
}
