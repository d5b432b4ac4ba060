package server

import "time"

// SetShutdownTimeouts sets how long Serve waits at shutdown for requests to
// drain and then for the audit log's flush.
func SetShutdownTimeouts(s *Server, drain, flush time.Duration) {
	s.drainTimeout, s.flushTimeout = drain, flush
}

// AuditWritten counts the audit log entries s has stored.
func AuditWritten(s *Server) uint64 { return s.audit.Written() }
