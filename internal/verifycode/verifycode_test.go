package verifycode_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/sqlite"
	"github.com/monban/monban/internal/verifycode"
)

// inbox is a Deliverer that keeps what it is given, as a connector's
// queue would.
type inbox struct {
	mu       sync.Mutex
	got      []verifycode.Message
	channels []verifycode.Channel
	fail     error
}

func (b *inbox) Deliver(_ context.Context, m verifycode.Message) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail != nil {
		return b.fail
	}
	b.got = append(b.got, m)
	return nil
}

func (b *inbox) HasChannel(ch verifycode.Channel) bool {
	for _, c := range b.channels {
		if c == ch {
			return true
		}
	}
	return false
}

func (b *inbox) last(t *testing.T) verifycode.Message {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.got) == 0 {
		t.Fatal("no message was delivered")
	}
	return b.got[len(b.got)-1]
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// rows passes every call to the real store and keeps the codes written,
// so tests can look at what is stored.
type rows struct {
	store.Store
	mu  sync.Mutex
	put []store.VerificationCode
}

func (r *rows) PutVerificationCode(ctx context.Context, c store.VerificationCode) error {
	r.mu.Lock()
	r.put = append(r.put, c)
	r.mu.Unlock()
	return r.Store.PutVerificationCode(ctx, c)
}

func (r *rows) last(t *testing.T) store.VerificationCode {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.put) == 0 {
		t.Fatal("no code was stored")
	}
	return r.put[len(r.put)-1]
}

type fixture struct {
	st    store.Store
	rows  *rows
	box   *inbox
	clock *clock
	svc   *verifycode.Service
}

func newFixture(t testing.TB, throttle *verifycode.Throttle) *fixture {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{st: st, rows: &rows{Store: st}, box: &inbox{channels: []verifycode.Channel{verifycode.ChannelEmail, verifycode.ChannelSMS}},
		clock: &clock{t: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}}
	f.svc = verifycode.New(f.rows, f.box, verifycode.Options{Now: f.clock.Now, Throttle: throttle})
	return f
}

var noThrottle = &verifycode.Throttle{}

func signIn(to string) verifycode.Request {
	return verifycode.Request{Purpose: verifycode.PurposeSignIn, Channel: verifycode.ChannelEmail, To: to,
		Bind: "interaction:i1", Locale: "en", ClientIP: "192.0.2.1"}
}

func (f *fixture) send(t *testing.T, req verifycode.Request) string {
	t.Helper()
	if err := f.svc.Send(context.Background(), req); err != nil {
		t.Fatalf("Send: %v", err)
	}
	return f.box.last(t).Code
}

func TestSendAndVerify(t *testing.T) {
	f := newFixture(t, noThrottle)
	ctx := context.Background()
	req := signIn("Alice@Example.COM")
	code := f.send(t, req)
	if !regexp.MustCompile(`^[0-9]{6}$`).MatchString(code) {
		t.Fatalf("code %q is not six digits", code)
	}
	m := f.box.last(t)
	if m.To != "Alice@example.com" || m.Purpose != verifycode.PurposeSignIn || m.Locale != "en" || m.Channel != verifycode.ChannelEmail {
		t.Errorf("message = %+v", m)
	}
	// The stored row holds neither the code nor the address.
	c := f.rows.last(t)
	if strings.Contains(string(c.Hash), code) || strings.Contains(c.Key, "xample") || len(c.Salt) < 16 || len(c.Hash) != 32 {
		t.Errorf("the stored code shows the code or the address, or is not a salted hash: %+v", c)
	}
	if stored, err := f.st.GetVerificationCode(ctx, c.Key); err != nil || !stored.ExpiresAt.Equal(f.clock.Now().Add(10*time.Minute)) {
		t.Errorf("stored code = %+v, %v; want one expiring in 10 minutes", stored, err)
	}
	// The address is matched in its normalized form.
	if err := f.svc.Verify(ctx, signIn("alice@EXAMPLE.com"), "000000"); err == nil && code != "000000" {
		t.Fatal("a wrong code verified")
	}
	if err := f.svc.Verify(ctx, signIn("Alice@example.com"), code); err != nil {
		t.Fatalf("Verify of the right code: %v", err)
	}
	if err := f.svc.Verify(ctx, req, code); !errors.Is(err, verifycode.ErrNotFound) {
		t.Errorf("a used code verified again: %v, want ErrNotFound", err)
	}
}

func TestBinding(t *testing.T) {
	f := newFixture(t, noThrottle)
	ctx := context.Background()
	req := signIn("bob@example.com")
	code := f.send(t, req)
	for name, other := range map[string]func(r *verifycode.Request){
		"another interaction": func(r *verifycode.Request) { r.Bind = "interaction:i2" },
		"another purpose":     func(r *verifycode.Request) { r.Purpose = verifycode.PurposeRegister },
		"another address":     func(r *verifycode.Request) { r.To = "bob2@example.com" },
		"another channel":     func(r *verifycode.Request) { r.Channel, r.To = verifycode.ChannelSMS, "+81 90 1234 5678" },
	} {
		r := req
		other(&r)
		if err := f.svc.Verify(ctx, r, code); !errors.Is(err, verifycode.ErrNotFound) {
			t.Errorf("%s: Verify = %v, want ErrNotFound", name, err)
		}
	}
	if err := f.svc.Verify(ctx, req, code); err != nil {
		t.Errorf("the code no longer verifies where it was sent: %v", err)
	}
}

func TestWrongTriesExhaust(t *testing.T) {
	f := newFixture(t, noThrottle)
	ctx := context.Background()
	req := signIn("carol@example.com")
	code := f.send(t, req)
	wrong := "999999"
	if code == wrong {
		wrong = "999998"
	}
	for i := 1; i <= 4; i++ {
		if err := f.svc.Verify(ctx, req, wrong); !errors.Is(err, verifycode.ErrMismatch) {
			t.Fatalf("wrong try %d: %v, want ErrMismatch", i, err)
		}
	}
	if err := f.svc.Verify(ctx, req, "12ab"); !errors.Is(err, verifycode.ErrExhausted) {
		t.Fatalf("fifth wrong try (malformed): %v, want ErrExhausted", err)
	}
	if err := f.svc.Verify(ctx, req, code); !errors.Is(err, verifycode.ErrExhausted) {
		t.Fatalf("the right code after five wrong tries: %v, want ErrExhausted", err)
	}
	// A new code starts afresh.
	code = f.send(t, req)
	if err := f.svc.Verify(ctx, req, code); err != nil {
		t.Fatalf("a new code after exhaustion: %v", err)
	}
}

func TestExpiry(t *testing.T) {
	f := newFixture(t, noThrottle)
	ctx := context.Background()
	req := signIn("dan@example.com")
	code := f.send(t, req)
	f.clock.add(verifycode.DefaultTTL - time.Second)
	if err := f.svc.Verify(ctx, req, "x"); !errors.Is(err, verifycode.ErrMismatch) {
		t.Fatalf("just before expiry: %v, want ErrMismatch", err)
	}
	f.clock.add(time.Second)
	if err := f.svc.Verify(ctx, req, code); !errors.Is(err, verifycode.ErrExpired) {
		t.Fatalf("at expiry: %v, want ErrExpired", err)
	}
}

func TestResendReplaces(t *testing.T) {
	f := newFixture(t, noThrottle)
	ctx := context.Background()
	req := signIn("erin@example.com")
	first := f.send(t, req)
	var second string
	for second = f.send(t, req); second == first; second = f.send(t, req) {
	}
	if err := f.svc.Verify(ctx, req, first); !errors.Is(err, verifycode.ErrMismatch) {
		t.Errorf("the replaced code: %v, want ErrMismatch", err)
	}
	if err := f.svc.Verify(ctx, req, second); err != nil {
		t.Errorf("the new code: %v", err)
	}
}

// TestParallelVerify: of parallel right answers exactly one succeeds, and
// parallel wrong guesses get no more than MaxTries between them.
func TestParallelVerify(t *testing.T) {
	f := newFixture(t, noThrottle)
	ctx := context.Background()
	req := signIn("frank@example.com")
	code := f.send(t, req)
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = f.svc.Verify(ctx, req, code) })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, verifycode.ErrNotFound) && !errors.Is(err, verifycode.ErrExhausted):
			t.Errorf("unexpected error: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d parallel right answers succeeded, want exactly 1", won)
	}

	code = f.send(t, req)
	var guesses [20]string
	for i := range guesses {
		guesses[i] = strings.Repeat(string(rune('0'+i%10)), 6)
	}
	mismatches := 0
	var mu sync.Mutex
	for _, g := range guesses {
		if g == code {
			continue
		}
		wg.Go(func() {
			if err := f.svc.Verify(ctx, req, g); errors.Is(err, verifycode.ErrMismatch) {
				mu.Lock()
				mismatches++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if mismatches > verifycode.DefaultMaxTries-1 {
		t.Errorf("%d parallel wrong guesses were judged, want at most %d", mismatches, verifycode.DefaultMaxTries-1)
	}
	if err := f.svc.Verify(ctx, req, code); !errors.Is(err, verifycode.ErrExhausted) {
		t.Errorf("after the parallel guesses: %v, want ErrExhausted", err)
	}

	// The right code among many parallel guesses: it is compared only if
	// it is one of the five tries counted.
	code = f.send(t, req)
	judged, unjudged := 0, 0
	for i := range 24 {
		g := fmt.Sprintf("%06d", i)
		if i == 12 {
			g = code
		} else if g == code {
			g = "999999"
		}
		wg.Go(func() {
			err := f.svc.Verify(ctx, req, g)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil, errors.Is(err, verifycode.ErrMismatch):
				judged++
			case errors.Is(err, verifycode.ErrExhausted), errors.Is(err, verifycode.ErrNotFound):
				unjudged++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		})
	}
	wg.Wait()
	if judged > verifycode.DefaultMaxTries {
		t.Errorf("%d of 24 parallel guesses were compared, want at most %d", judged, verifycode.DefaultMaxTries)
	}
}

func TestThrottle(t *testing.T) {
	f := newFixture(t, &verifycode.Throttle{Interval: time.Minute, Window: time.Hour, PerTarget: 3, PerClient: 5})
	ctx := context.Background()
	req := signIn("gina@example.com")
	f.send(t, req)
	f.clock.add(20 * time.Second)
	err := f.svc.Send(ctx, req)
	var te *verifycode.ThrottledError
	if !errors.As(err, &te) || !errors.Is(err, verifycode.ErrThrottled) || te.RetryAfter != 40*time.Second {
		t.Fatalf("a resend after 20 s: %v, want ThrottledError of 40s", err)
	}
	// Another purpose or binding to the same address shares the limit.
	other := req
	other.Purpose, other.Bind = verifycode.PurposeRegister, "interaction:i9"
	if err := f.svc.Send(ctx, other); !errors.Is(err, verifycode.ErrThrottled) {
		t.Fatalf("a send for another purpose to the same address: %v, want ErrThrottled", err)
	}
	f.clock.add(40 * time.Second)
	f.send(t, req)
	f.clock.add(time.Minute)
	f.send(t, req)
	f.clock.add(time.Minute)
	err = f.svc.Send(ctx, req)
	if !errors.As(err, &te) || te.RetryAfter != time.Hour-3*time.Minute {
		t.Fatalf("a fourth send within the hour: %v, want ThrottledError of 57m", err)
	}
	// From the same client address, to other addresses: five per hour.
	for _, to := range []string{"h1@example.com", "h2@example.com"} {
		f.send(t, signIn(to))
	}
	if err := f.svc.Send(ctx, signIn("h3@example.com")); !errors.Is(err, verifycode.ErrThrottled) {
		t.Fatalf("a sixth send from one client address: %v, want ErrThrottled", err)
	}
	another := signIn("h3@example.com")
	another.ClientIP = "192.0.2.2"
	f.send(t, another)
	// IPv6 clients are counted by their /64.
	for i, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3", "2001:db8:1:2::4", "2001:db8:1:2::5"} {
		r := signIn(fmt.Sprintf("v6-%d@example.com", i))
		r.ClientIP = ip
		f.send(t, r)
	}
	v6 := signIn("v6-last@example.com")
	v6.ClientIP = "2001:db8:1:2::99"
	if err := f.svc.Send(ctx, v6); !errors.Is(err, verifycode.ErrThrottled) {
		t.Fatalf("a sixth send from one IPv6 /64: %v, want ErrThrottled", err)
	}
	v6.ClientIP = "2001:db8:1:3::1"
	f.send(t, v6)
	f.clock.add(time.Hour)
	f.send(t, req)
}

func TestSendRefusals(t *testing.T) {
	f := newFixture(t, noThrottle)
	ctx := context.Background()
	f.box.channels = []verifycode.Channel{verifycode.ChannelEmail}
	sms := signIn("+81 90 1234 5678")
	sms.Channel = verifycode.ChannelSMS
	if err := f.svc.Send(ctx, sms); !errors.Is(err, verifycode.ErrNoConnector) {
		t.Errorf("SMS without a connector: %v, want ErrNoConnector", err)
	}
	if f.svc.HasConnector(verifycode.ChannelSMS) || !f.svc.HasConnector(verifycode.ChannelEmail) {
		t.Error("HasConnector does not follow the deliverer")
	}
	for name, req := range map[string]verifycode.Request{
		"bad address":     signIn("not an address"),
		"no binding":      {Purpose: verifycode.PurposeSignIn, Channel: verifycode.ChannelEmail, To: "a@example.com"},
		"unknown purpose": {Purpose: "Other", Channel: verifycode.ChannelEmail, To: "a@example.com", Bind: "api"},
		"unknown channel": {Purpose: verifycode.PurposeSignIn, Channel: "fax", To: "a@example.com", Bind: "api"},
	} {
		err := f.svc.Send(ctx, req)
		if !errors.Is(err, verifycode.ErrInvalidTarget) && !errors.Is(err, verifycode.ErrInvalidRequest) {
			t.Errorf("%s: Send = %v, want ErrInvalidTarget or ErrInvalidRequest", name, err)
		}
		if err := f.svc.Verify(ctx, req, "123456"); err == nil {
			t.Errorf("%s: Verify succeeded", name)
		}
	}
	f.box.fail = errors.New("queue down")
	if err := f.svc.Send(ctx, signIn("z@example.com")); err == nil {
		t.Error("a failed queueing was not reported")
	}
}

func TestNormalize(t *testing.T) {
	for _, c := range []struct {
		ch       verifycode.Channel
		in, want string
	}{
		{verifycode.ChannelEmail, " Alice@Example.COM ", "Alice@example.com"},
		{verifycode.ChannelEmail, "a.b+tag@sub.example.co.jp", "a.b+tag@sub.example.co.jp"},
		{verifycode.ChannelEmail, "ユーザー@例え.jp", "ユーザー@例え.jp"},
		{verifycode.ChannelSMS, "+81 90-1234-5678", "819012345678"},
		{verifycode.ChannelSMS, "(555) 010.0199", "5550100199"},
		{verifycode.ChannelSMS, "8613800000000", "8613800000000"},
	} {
		got, err := verifycode.Normalize(c.ch, c.in)
		if err != nil || got != c.want {
			t.Errorf("Normalize(%s, %q) = %q, %v; want %q", c.ch, c.in, got, err, c.want)
		}
	}
	for _, c := range []struct {
		ch verifycode.Channel
		in string
	}{
		{verifycode.ChannelEmail, ""}, {verifycode.ChannelEmail, "nobody"}, {verifycode.ChannelEmail, "@example.com"},
		{verifycode.ChannelEmail, "a@"}, {verifycode.ChannelEmail, "a@localhost"}, {verifycode.ChannelEmail, "a b@example.com"},
		{verifycode.ChannelEmail, "a@exa mple.com"}, {verifycode.ChannelEmail, "a@-x.com"}, {verifycode.ChannelEmail, "a@x..com"},
		{verifycode.ChannelEmail, "<a@example.com>"}, {verifycode.ChannelEmail, "a\r\n@example.com"},
		{verifycode.ChannelEmail, strings.Repeat("a", 65) + "@example.com"},
		{verifycode.ChannelEmail, "a@" + strings.Repeat("b", 250) + ".com"},
		{verifycode.ChannelSMS, ""}, {verifycode.ChannelSMS, "+"}, {verifycode.ChannelSMS, "123"}, {verifycode.ChannelSMS, "+81 90 abc"},
		{verifycode.ChannelSMS, strings.Repeat("1", 21)}, {verifycode.ChannelSMS, "++8190"}, {verifycode.ChannelSMS, "８１９０１２３４"},
		{"fax", "a@example.com"},
	} {
		if got, err := verifycode.Normalize(c.ch, c.in); !errors.Is(err, verifycode.ErrInvalidTarget) {
			t.Errorf("Normalize(%s, %q) = %q, %v; want ErrInvalidTarget", c.ch, c.in, got, err)
		}
	}
}

// FuzzNormalize: Normalize never panics, its results are bounded and
// normalizing twice changes nothing.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"a@example.com", "+81 90-1234-5678", "x@Y.Z", "@", "+", "ユーザー@例え.jp", "\x00@a.b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, ch := range []verifycode.Channel{verifycode.ChannelEmail, verifycode.ChannelSMS} {
			got, err := verifycode.Normalize(ch, in)
			if err != nil {
				continue
			}
			if len(got) > 254 || strings.ContainsAny(got, " \r\n\x00") {
				t.Fatalf("Normalize(%s, %q) = %q", ch, in, got)
			}
			if again, err := verifycode.Normalize(ch, got); err != nil || again != got {
				t.Fatalf("Normalize(%s, %q) = %q, but again %q, %v", ch, in, got, again, err)
			}
		}
	})
}

// TestPolicy: the policy in force sets a code's lifetime and wrong tries,
// is asked on every send and verify, and its failure is the caller's
// error, never a code that verifies.
func TestPolicy(t *testing.T) {
	ctx := context.Background()
	var (
		mu     sync.Mutex
		pol    verifycode.Policy
		polErr error
	)
	set := func(p verifycode.Policy, err error) { mu.Lock(); pol, polErr = p, err; mu.Unlock() }
	f := newFixture(t, noThrottle)
	f.svc = verifycode.New(f.rows, f.box, verifycode.Options{Now: f.clock.Now, Throttle: noThrottle,
		Policy: func(context.Context) (verifycode.Policy, error) { mu.Lock(); defer mu.Unlock(); return pol, polErr }})

	// Lifetime: 60 seconds is sent and honoured.
	set(verifycode.Policy{TTL: time.Minute}, nil)
	req := signIn("p@example.com")
	code := f.send(t, req)
	if got := f.rows.last(t).ExpiresAt.Sub(f.rows.last(t).CreatedAt); got != time.Minute {
		t.Fatalf("stored lifetime = %v, want 1m", got)
	}
	if m := f.box.last(t); m.Vars["minutes"] != "1" || !m.ExpiresAt.Equal(f.rows.last(t).ExpiresAt) {
		t.Fatalf("the message tells %q minutes and ends at %v, want 1 and the code's end %v", m.Vars["minutes"], m.ExpiresAt, f.rows.last(t).ExpiresAt)
	}
	f.clock.add(61 * time.Second)
	if err := f.svc.Verify(ctx, req, code); !errors.Is(err, verifycode.ErrExpired) {
		t.Fatalf("after 61s: %v, want ErrExpired", err)
	}

	// A lifetime shortened after the send applies to the code sent.
	set(verifycode.Policy{TTL: time.Hour}, nil)
	code = f.send(t, req)
	set(verifycode.Policy{TTL: time.Minute}, nil)
	f.clock.add(2 * time.Minute)
	if err := f.svc.Verify(ctx, req, code); !errors.Is(err, verifycode.ErrExpired) {
		t.Fatalf("shortened policy: %v, want ErrExpired", err)
	}

	// Wrong tries: 2.
	set(verifycode.Policy{MaxTries: 2}, nil)
	code = f.send(t, req)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	if err := f.svc.Verify(ctx, req, wrong); !errors.Is(err, verifycode.ErrMismatch) {
		t.Fatalf("first wrong try: %v", err)
	}
	if err := f.svc.Verify(ctx, req, wrong); !errors.Is(err, verifycode.ErrExhausted) {
		t.Fatalf("second wrong try: %v, want ErrExhausted", err)
	}
	if err := f.svc.Verify(ctx, req, code); !errors.Is(err, verifycode.ErrExhausted) {
		t.Fatalf("right code after the tries: %v, want ErrExhausted", err)
	}
	if lim, err := f.svc.Limits(ctx); err != nil || lim.MaxTries != 2 || lim.TTL != verifycode.DefaultTTL {
		t.Fatalf("Limits = %+v, %v", lim, err)
	}

	// A failing policy fails both ways.
	code = f.send(t, req)
	set(verifycode.Policy{}, errors.New("store down"))
	if err := f.svc.Verify(ctx, req, code); err == nil {
		t.Fatal("Verify with a failing policy succeeded")
	}
	if err := f.svc.Send(ctx, req); err == nil {
		t.Fatal("Send with a failing policy succeeded")
	}
}
