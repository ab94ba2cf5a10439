package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"

	"guichet/kiosk/request"
	"guichet/kiosk/tracking"
)

// Request returns the stored request with this id, or ErrNotFound.
func (s *Store) Request(id string) (request.Request, error) {
	var r request.Request
	err := s.view(func(tx *bolt.Tx) (err error) {
		r, err = getRequest(tx, id)
		return err
	})
	return r, err
}

// ByTracking returns the request a receipt's tracking number names, or
// ErrNotFound.
func (s *Store) ByTracking(n tracking.Number) (request.Request, error) {
	var r request.Request
	err := s.view(func(tx *bolt.Tx) (err error) {
		id := bucket(tx, bTracking).Get([]byte(n))
		if id == nil {
			return fmt.Errorf("%w: tracking number %q", ErrNotFound, n)
		}
		r, err = getRequest(tx, string(id))
		return err
	})
	return r, err
}
