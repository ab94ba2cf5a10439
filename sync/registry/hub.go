package registry

import "sync"

// hub wakes the long-polls of a kiosk when this process appends to its
// feed. Changes made by other processes are found by polling.
type hub struct {
	mu     sync.Mutex
	wait   map[string]chan struct{}
	closed chan struct{}
	once   sync.Once
}

func newHub() *hub { return &hub{wait: map[string]chan struct{}{}, closed: make(chan struct{})} }

// watch returns a channel closed at the kiosk's next notify.
func (h *hub) watch(kioskID string) <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, ok := h.wait[kioskID]
	if !ok {
		c = make(chan struct{})
		h.wait[kioskID] = c
	}
	return c
}

func (h *hub) notify(kioskID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c, ok := h.wait[kioskID]; ok {
		close(c)
		delete(h.wait, kioskID)
	}
}

// closeAll ends every long-poll (shutdown).
func (h *hub) closeAll() { h.once.Do(func() { close(h.closed) }) }
