package qrscan

// Partial returns how many bytes of an unfinished line Serve holds, so that
// tests can wait for a half line to arrive instead of sleeping.
func (s *Scanner) Partial() int { return int(s.partial.Load()) }
