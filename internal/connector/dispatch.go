package connector

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/monban/monban/internal/audit"
	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/verifycode"
)

// AuditKey is the audit log key of a failed delivery attempt.
const AuditKey = "Connector.SendMessage"

// Deliver queues m in the outbox and wakes the dispatcher; it implements
// verifycode.Deliverer. It returns once the message is stored: a page
// waits for one database write, never for a provider.
func (s *Service) Deliver(ctx context.Context, m verifycode.Message) error {
	payload, err := json.Marshal(m)
	if err != nil {
		return err
	}
	now := s.now()
	expires := m.ExpiresAt // the code's own end: no delivery after it
	if !expires.After(now) {
		expires = now.Add(verifycode.DefaultTTL)
	}
	out := store.OutMessage{ID: randid.ID(), Channel: string(m.Channel), Payload: payload, State: store.MessagePending,
		NextAt: now, CreatedAt: now, ExpiresAt: expires}
	if err := s.st.EnqueueMessage(ctx, out); err != nil {
		return err
	}
	s.Wake()
	return nil
}

// Wake makes the next round start now rather than at the next poll.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// lease is how long a claimed message stays this instance's: longer than
// any attempt can take.
func (s *Service) lease() time.Duration { return 2*s.env.timeout + 30*time.Second }

// Run sends queued messages until ctx is done.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(max(s.opts.Poll, time.Millisecond))
	defer t.Stop()
	for {
		s.Round(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

// Round sends what is due and now and then prunes. It is Run's body,
// exported for tests that step it.
func (s *Service) Round(ctx context.Context) {
	for ctx.Err() == nil {
		claimed, err := s.st.ClaimMessages(ctx, s.owner, s.now(), s.lease(), s.opts.Batch)
		if err != nil {
			s.log.Warn("claiming messages failed", "err", err)
			break
		}
		var wg sync.WaitGroup
		for _, m := range claimed {
			wg.Go(func() { s.attempt(ctx, m) })
		}
		wg.Wait()
		if len(claimed) < s.opts.Batch {
			break
		}
	}
	if now := s.now(); ctx.Err() == nil && now.Sub(s.pruned) > time.Hour {
		if _, err := s.st.PruneMessages(ctx, now.Add(-s.opts.Retention)); err != nil {
			s.log.Warn("pruning messages failed", "err", err)
		} else {
			s.pruned = now
		}
	}
}

// attempt sends one message and records the outcome.
func (s *Service) attempt(ctx context.Context, out store.OutMessage) {
	m, connectorID, final, err := s.try(ctx, out)
	now := s.now()
	out.Attempts++
	switch {
	case err == nil:
		out.State, out.LastError = store.MessageSent, ""
	case ctx.Err() != nil:
		// Cut short by a shutdown: due again at once, not counted.
		out.Attempts--
		out.LastError, out.NextAt = "interrupted by the server's shutdown", now
	case final || out.Attempts >= s.opts.MaxAttempts:
		out.State, out.LastError = store.MessageFailed, err.Error()
	default:
		out.LastError, out.NextAt = err.Error(), now.Add(s.backoff(out.Attempts))
	}
	if ferr := s.st.FinishMessage(context.WithoutCancel(ctx), s.owner, out); ferr != nil {
		s.log.Warn("recording a message attempt failed", "message_id", out.ID, "err", ferr)
	}
	if err != nil && ctx.Err() == nil {
		s.report(out, m, connectorID, err)
	}
}

// try makes one attempt at out; final says a retry would fail the same way.
func (s *Service) try(ctx context.Context, out store.OutMessage) (m verifycode.Message, connectorID string, final bool, err error) {
	if err := json.Unmarshal(out.Payload, &m); err != nil {
		return m, "", true, errors.New("the queued message cannot be read")
	}
	if !s.now().Before(out.ExpiresAt) {
		return m, "", true, errors.New("the message expired before it could be sent")
	}
	connectorID, err = s.send(ctx, m)
	switch KindOf(err) {
	case NoConnector, InvalidConfig, InvalidInput, FactoryNotFound:
		final = true
	}
	return m, connectorID, final, err
}

// send delivers m through the channel's connector now.
func (s *Service) send(ctx context.Context, m verifycode.Message) (string, error) {
	v, ok, err := s.current(ctx, m.Channel)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", errorf(NoConnector, "no %s connector is configured", m.Channel)
	}
	msgr, err := v.Factory.parse(v.Config)
	if err != nil {
		return v.ID, err
	}
	tmpl, err := s.templateFor(ctx, msgr, v.Factory, m)
	if err != nil {
		return v.ID, err
	}
	return v.ID, msgr.send(ctx, s.env, m, tmpl)
}

// report logs and audits a failed attempt (never the code).
func (s *Service) report(out store.OutMessage, m verifycode.Message, connectorID string, err error) {
	if err == nil {
		return
	}
	giveUp := out.State == store.MessageFailed
	args := []any{"message_id", out.ID, "channel", out.Channel, "purpose", m.Purpose, "connector_id", connectorID,
		"attempt", out.Attempts, "err", err.Error()}
	if giveUp {
		s.log.Warn("message delivery given up", args...)
	} else {
		s.log.Info("message delivery failed; will retry", append(args, "next_at", out.NextAt)...)
	}
	if s.opts.Audit == nil {
		return
	}
	payload, _ := json.Marshal(map[string]any{"messageId": out.ID, "channel": out.Channel, "templateType": m.Purpose,
		"connectorId": connectorID, "to": mask(m.To), "attempt": out.Attempts, "willRetry": !giveUp, "error": err.Error()})
	now := s.now()
	s.opts.Audit(store.LogEntry{ID: audit.NewID(now), Key: AuditKey, Result: store.ResultError, ApplicationID: m.ApplicationID,
		Payload: payload, CreatedAt: now})
}

// mask shows enough of an address to tell messages apart in the log.
func mask(to string) string {
	if at := strings.LastIndexByte(to, '@'); at > 0 {
		return to[:1] + "***" + to[at:]
	}
	if len(to) > 4 {
		return "***" + to[len(to)-4:]
	}
	return "***"
}

// backoff is the wait after the n-th failed attempt: BaseDelay doubled for
// each earlier failure, at most MaxDelay.
func (s *Service) backoff(n int) time.Duration {
	delay := s.opts.BaseDelay
	for i := 1; i < n && delay < s.opts.MaxDelay; i++ {
		delay *= 2
	}
	return min(delay, s.opts.MaxDelay)
}
