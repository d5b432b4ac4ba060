package server

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// certCheckInterval is how often the certificate files are looked at for
// a change, at most.
const certCheckInterval = 10 * time.Second

// certFiles serves the certificate of a PEM certificate chain and key
// file, re-read when either changes (a renewed certificate is picked up
// without a restart). A change that does not load (a half-written pair)
// keeps the last good certificate, with a warning.
type certFiles struct {
	certFile, keyFile string
	logger            *slog.Logger
	now               func() time.Time

	mu              sync.Mutex
	current         *tls.Certificate
	certMod, keyMod time.Time
	checked         time.Time
}

// loadCertFiles loads the pair once, so that a wrong path or pair fails
// the start.
func loadCertFiles(certFile, keyFile string, logger *slog.Logger, now func() time.Time) (*certFiles, error) {
	c := &certFiles{certFile: certFile, keyFile: keyFile, logger: logger, now: now}
	if err := c.reload(); err != nil {
		return nil, err
	}
	c.checked = now()
	return c, nil
}

// modTimes returns the files' modification times.
func (c *certFiles) modTimes() (time.Time, time.Time, error) {
	ci, err := os.Stat(c.certFile)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	ki, err := os.Stat(c.keyFile)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	return ci.ModTime(), ki.ModTime(), nil
}

// reload reads the pair; the caller holds mu (or is the constructor).
func (c *certFiles) reload() error {
	cm, km, err := c.modTimes()
	if err != nil {
		return fmt.Errorf("TLS certificate: %w", err)
	}
	pair, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("TLS certificate: %w", err)
	}
	c.current, c.certMod, c.keyMod = &pair, cm, km
	return nil
}

// get is tls.Config.GetCertificate.
func (c *certFiles) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.now(); now.Sub(c.checked) >= certCheckInterval {
		c.checked = now
		cm, km, err := c.modTimes()
		if err == nil && (!cm.Equal(c.certMod) || !km.Equal(c.keyMod)) {
			err = c.reload()
		}
		if err != nil {
			c.logger.Warn("reading the TLS certificate again failed; the last one loaded is served", "err", err)
		}
	}
	return c.current, nil
}

// tlsConfig is the HTTPS configuration over c.
func (c *certFiles) tlsConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: c.get}
}
