package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/monban/monban/internal/store"
)

// Device authorizations (RFC 8628).

const deviceCols = "id, user_code, client_id, issuer, scope, resources, status, user_id, grant_id, poll_interval, last_polled_at, " +
	"created_at, expires_at, used_at"

func scanDevice(r scanner) (store.DeviceAuthorization, error) {
	var (
		d                store.DeviceAuthorization
		resources        string
		created, expires int64
		polled, used     sql.NullInt64
	)
	if err := r.Scan(&d.ID, &d.UserCode, &d.ClientID, &d.Issuer, &d.Scope, &resources, &d.Status, &d.UserID, &d.GrantID,
		&d.Interval, &polled, &created, &expires, &used); err != nil {
		return d, err
	}
	list, err := decodeList(resources, "device authorization resources")
	if err != nil {
		return d, err
	}
	d.Resources = list
	d.LastPolledAt, d.UsedAt = fromNullMillis(polled), fromNullMillis(used)
	d.CreatedAt, d.ExpiresAt = fromMillis(created), fromMillis(expires)
	return d, nil
}

// CreateDeviceAuthorization stores a pending device authorization.
func (s *Store) CreateDeviceAuthorization(ctx context.Context, d store.DeviceAuthorization) error {
	err := s.write(ctx, func(t txn) error {
		if err := t.exists(notFound("application", d.ClientID), "applications", d.ClientID); err != nil {
			return err
		}
		_, err := t.exec("INSERT INTO device_authorizations ("+deviceCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			d.ID, d.UserCode, d.ClientID, d.Issuer, d.Scope, jsonList(d.Resources), store.DevicePending, "", "",
			d.Interval, nullMillis(d.LastPolledAt), millis(d.CreatedAt), millis(d.ExpiresAt), nullMillis(d.UsedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("create device authorization: %w", err)
	}
	return nil
}

// GetDeviceAuthorization returns the device authorization with the id.
func (s *Store) GetDeviceAuthorization(ctx context.Context, id string) (store.DeviceAuthorization, error) {
	return getOne(ctx, s, "get device authorization", "device authorization", "", scanDevice,
		"SELECT "+deviceCols+" FROM device_authorizations WHERE id = ?", id)
}

// GetDeviceAuthorizationByUserCode returns the device authorization with
// the user code's hash.
func (s *Store) GetDeviceAuthorizationByUserCode(ctx context.Context, userCode string) (store.DeviceAuthorization, error) {
	return getOne(ctx, s, "get device authorization", "device authorization", "", scanDevice,
		"SELECT "+deviceCols+" FROM device_authorizations WHERE user_code = ?", userCode)
}

// PollDeviceAuthorization records a poll: in one transaction, so that of
// two polls at once the second sees the first.
func (s *Store) PollDeviceAuthorization(ctx context.Context, id string, now time.Time, step int) (store.DeviceAuthorization, bool, error) {
	var (
		d       store.DeviceAuthorization
		tooSoon bool
	)
	err := s.write(ctx, func(t txn) error {
		var err error
		d, err = scanDevice(t.queryRow("SELECT "+deviceCols+" FROM device_authorizations WHERE id = ?", id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("device authorization", "")
		}
		if err != nil {
			return err
		}
		tooSoon = !d.LastPolledAt.IsZero() && now.Before(d.LastPolledAt.Add(time.Duration(d.Interval)*time.Second))
		if tooSoon {
			d.Interval += step
		}
		d.LastPolledAt = now
		_, err = t.exec("UPDATE device_authorizations SET last_polled_at = ?, poll_interval = ? WHERE id = ?",
			millis(now), d.Interval, id)
		return err
	})
	if err != nil {
		return store.DeviceAuthorization{}, false, fmt.Errorf("poll device authorization: %w", err)
	}
	return d, tooSoon, nil
}

// ApproveDeviceAuthorization stores the grant and approves the pending
// authorization with it.
func (s *Store) ApproveDeviceAuthorization(ctx context.Context, id string, g store.Grant) error {
	err := s.write(ctx, func(t txn) error {
		if err := t.decidable(id); err != nil {
			return err
		}
		if err := t.insertGrant(g); err != nil {
			return err
		}
		return t.execOne(store.ErrConflict, "UPDATE device_authorizations SET status = ?, user_id = ?, grant_id = ? WHERE id = ? AND status = ?",
			store.DeviceApproved, g.UserID, g.ID, id, store.DevicePending)
	})
	if err != nil {
		return fmt.Errorf("approve device authorization: %w", err)
	}
	return nil
}

// DenyDeviceAuthorization denies the pending authorization.
func (s *Store) DenyDeviceAuthorization(ctx context.Context, id string) error {
	err := s.write(ctx, func(t txn) error {
		if err := t.decidable(id); err != nil {
			return err
		}
		return t.execOne(store.ErrConflict, "UPDATE device_authorizations SET status = ? WHERE id = ? AND status = ?",
			store.DeviceDenied, id, store.DevicePending)
	})
	if err != nil {
		return fmt.Errorf("deny device authorization: %w", err)
	}
	return nil
}

// decidable is ErrNotFound for an unknown device authorization and
// ErrConflict for one no longer pending.
func (t txn) decidable(id string) error {
	var status string
	switch err := t.queryRow("SELECT status FROM device_authorizations WHERE id = ?", id).Scan(&status); {
	case errors.Is(err, sql.ErrNoRows):
		return notFound("device authorization", "")
	case err != nil:
		return err
	case status != store.DevicePending:
		return store.ErrConflict
	}
	return nil
}

// RedeemDeviceAuthorization marks the approved authorization used and
// records what was issued from its grant.
func (s *Store) RedeemDeviceAuthorization(ctx context.Context, id string, now time.Time, issue store.Issue) error {
	err := s.write(ctx, func(t txn) error {
		var grantID, status string
		switch err := t.queryRow("SELECT grant_id, status FROM device_authorizations WHERE id = ?", id).Scan(&grantID, &status); {
		case errors.Is(err, sql.ErrNoRows):
			return notFound("device authorization", "")
		case err != nil:
			return err
		case status != store.DeviceApproved:
			return store.ErrConflict
		}
		if err := t.execOne(store.ErrAlreadyUsed,
			"UPDATE device_authorizations SET used_at = ? WHERE id = ? AND used_at IS NULL", millis(now), id); err != nil {
			return err
		}
		return t.record(grantID, issue)
	})
	if err != nil {
		return fmt.Errorf("redeem device authorization: %w", err)
	}
	return nil
}
