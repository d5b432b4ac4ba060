// Package smtpsink is a real SMTP server for tests: it listens on a
// loopback port, offers STARTTLS (or implicit TLS) with a certificate made
// for the test, accepts AUTH PLAIN with the credentials it is given, and
// keeps every message it receives, so a test can read a one-time code out
// of the message its server sent. It can be told to refuse messages, to
// test retries.
package smtpsink

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options say how the sink behaves.
type Options struct {
	// STARTTLS offers STARTTLS with the sink's certificate.
	STARTTLS bool
	// Implicit speaks TLS from the first byte (port 465 style).
	Implicit bool
	// User and Pass, when set, are required by AUTH PLAIN before MAIL.
	User, Pass string
}

// Message is one message received.
type Message struct {
	From    string
	To      []string
	Data    []byte // as received
	Header  mail.Header
	Subject string // decoded
	Body    string // decoded (quoted-printable or base64)
	TLS     bool   // received over TLS
	Authed  string // the user that authenticated, "" if none
}

// Sink is a running SMTP server.
type Sink struct {
	Host string
	Port int
	// Roots trust the sink's certificate.
	Roots *x509.CertPool

	opts   Options
	srv    *smtp.Server
	mu     sync.Mutex
	msgs   []Message
	refuse int
	tries  int
	notify chan struct{}
}

// Start runs a sink until the test ends.
func Start(t testing.TB, opts Options) *Sink {
	t.Helper()
	cert, roots, err := selfSigned()
	if err != nil {
		t.Fatalf("smtpsink: certificate: %v", err)
	}
	s := &Sink{Roots: roots, opts: opts, notify: make(chan struct{}, 1)}
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "localhost"
	s.srv.ErrorLog = log.New(io.Discard, "", 0) // clients hanging up are not the test's concern
	s.srv.ReadTimeout, s.srv.WriteTimeout = 30*time.Second, 30*time.Second
	s.srv.MaxMessageBytes = 1 << 20
	s.srv.MaxRecipients = 10
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if opts.STARTTLS {
		s.srv.TLSConfig = tlsConfig
	}
	var l net.Listener
	if opts.Implicit {
		l, err = tls.Listen("tcp", "127.0.0.1:0", tlsConfig)
	} else {
		l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatalf("smtpsink: listen: %v", err)
	}
	addr := l.Addr().(*net.TCPAddr)
	s.Host, s.Port = "127.0.0.1", addr.Port
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.srv.Serve(l)
	}()
	t.Cleanup(func() {
		_ = s.srv.Close()
		_ = l.Close() // Close may run before Serve has registered it
		<-done
	})
	return s
}

// Refuse makes the sink answer the next n messages with a temporary
// failure (451) after their data.
func (s *Sink) Refuse(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = n
}

// Tries is how many messages were offered (accepted or refused).
func (s *Sink) Tries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tries
}

// Messages returns the messages received, oldest first.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Wait waits up to timeout for at least n messages and returns them.
func (s *Sink) Wait(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if got := s.Messages(); len(got) >= n {
			return got
		}
		left := time.Until(deadline)
		if left <= 0 {
			t.Fatalf("smtpsink: %d message(s) after %s, want %d", len(s.Messages()), timeout, n)
		}
		select {
		case <-s.notify:
		case <-time.After(min(left, 50*time.Millisecond)):
		}
	}
}

var codeRe = regexp.MustCompile(`\b[0-9]{6}\b`)

// Code waits for a message to `to` after the first `after` messages and
// returns the six-digit code in its body.
func (s *Sink) Code(t testing.TB, to string, after int, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		msgs := s.Messages()
		for _, m := range msgs[min(after, len(msgs)):] {
			for _, rcpt := range m.To {
				if strings.EqualFold(rcpt, to) {
					if code := codeRe.FindString(m.Body); code != "" {
						return code
					}
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("smtpsink: no code sent to %s within %s (%d messages)", to, timeout, len(msgs))
		}
		s.Wait(t, len(msgs)+1, time.Until(deadline)+time.Millisecond)
	}
}

// NewSession is the go-smtp backend's.
func (s *Sink) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	return &session{sink: s, tls: isTLS, conn: c}, nil
}

type session struct {
	sink   *Sink
	conn   *smtp.Conn
	tls    bool
	authed string
	from   string
	to     []string
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if ss.sink.opts.User == "" || user != ss.sink.opts.User || pass != ss.sink.opts.Pass {
			return errors.New("invalid credentials")
		}
		ss.authed = user
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.sink.opts.User != "" && ss.authed == "" {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := ss.conn.TLSConnectionState()
	s := ss.sink
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tries++
	if s.refuse > 0 {
		s.refuse--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	m := Message{From: ss.from, To: append([]string(nil), ss.to...), Data: data, TLS: isTLS || ss.tls, Authed: ss.authed}
	if parsed, err := mail.ReadMessage(bytes.NewReader(data)); err == nil {
		m.Header = parsed.Header
		dec := new(mime.WordDecoder)
		if subj, err := dec.DecodeHeader(parsed.Header.Get("Subject")); err == nil {
			m.Subject = subj
		}
		m.Body = decodeBody(parsed.Header.Get("Content-Transfer-Encoding"), parsed.Body)
	}
	s.msgs = append(s.msgs, m)
	select {
	case s.notify <- struct{}{}:
	default:
	}
	return nil
}

func decodeBody(encoding string, r io.Reader) string {
	var b []byte
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		b, _ = io.ReadAll(quotedprintable.NewReader(r))
	case "base64":
		b, _ = io.ReadAll(base64.NewDecoder(base64.StdEncoding, newlineStripper{r}))
	default:
		b, _ = io.ReadAll(r)
	}
	return string(b)
}

// newlineStripper drops CR and LF, which base64 bodies are wrapped with.
type newlineStripper struct{ r io.Reader }

func (n newlineStripper) Read(p []byte) (int, error) {
	k, err := n.r.Read(p)
	j := 0
	for _, c := range p[:k] {
		if c != '\r' && c != '\n' {
			p[j] = c
			j++
		}
	}
	return j, err
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and localhost, and a pool
// that trusts it.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: "smtpsink"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}

// Addr is host:port.
func (s *Sink) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }
