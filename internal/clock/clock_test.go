package clock

import (
	"context"
	"testing"
	"time"
)

var origin = time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)

// recv waits for a value on c; the generous bound only stops a broken
// clock from hanging the run.
func recv(t *testing.T, c <-chan int, what string) int {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: never ran", what)
		return 0
	}
}

func none(t *testing.T, c <-chan int, what string) {
	t.Helper()
	select {
	case v := <-c:
		t.Fatalf("%s: ran (%d)", what, v)
	default:
	}
}

func TestFakeRunsWhatIsDueInOrder(t *testing.T) {
	f := NewFake(origin)
	if !f.Now().Equal(origin) {
		t.Fatalf("Now = %v", f.Now())
	}
	ran := make(chan int, 4)
	f.AfterFunc(2*time.Second, func() { ran <- 2 })
	f.AfterFunc(time.Second, func() { ran <- 1 })
	stopped := f.AfterFunc(time.Second, func() { ran <- 9 })
	if f.Pending() != 3 {
		t.Fatalf("Pending = %d, want 3", f.Pending())
	}
	if !stopped.Stop() || stopped.Stop() {
		t.Fatal("Stop reports true once, for a pending call")
	}

	f.Advance(999 * time.Millisecond)
	time.Sleep(10 * time.Millisecond) // a wrongly started call would show
	none(t, ran, "a call not yet due")
	f.Advance(time.Millisecond)
	if got := recv(t, ran, "the 1 s call"); got != 1 {
		t.Fatalf("first call %d, want 1", got)
	}
	if !f.Now().Equal(origin.Add(time.Second)) {
		t.Fatalf("Now = %v", f.Now())
	}
	f.Set(origin.Add(time.Hour))
	if got := recv(t, ran, "the 2 s call"); got != 2 {
		t.Fatalf("second call %d, want 2", got)
	}
	time.Sleep(10 * time.Millisecond)
	none(t, ran, "the stopped call")
	if f.Pending() != 0 {
		t.Fatalf("Pending = %d after all ran", f.Pending())
	}

	// Set never moves the clock back; a call due now runs at once.
	f.Set(origin)
	if !f.Now().Equal(origin.Add(time.Hour)) {
		t.Fatalf("Set moved the clock back to %v", f.Now())
	}
	tm := f.AfterFunc(0, func() { ran <- 3 })
	if recv(t, ran, "a call due now") != 3 || tm.Stop() {
		t.Fatal("a call due now runs at once and cannot be stopped")
	}
}

func TestSystem(t *testing.T) {
	if Or(nil) != System {
		t.Fatal("Or(nil) is not System")
	}
	f := NewFake(origin)
	if Or(f) != Clock(f) {
		t.Fatal("Or(f) is not f")
	}
	if d := time.Since(System.Now()); d < 0 || d > time.Minute {
		t.Fatalf("System.Now is %v off", d)
	}
	ran := make(chan int, 1)
	System.AfterFunc(0, func() { ran <- 1 })
	recv(t, ran, "System.AfterFunc")
}

func TestEvery(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	calls := make(chan struct{}, 10)
	done := make(chan struct{})
	go func() {
		Every(ctx, time.Millisecond, func(context.Context) {
			select {
			case calls <- struct{}{}:
			default:
			}
		})
		close(done)
	}()
	<-calls
	<-calls // it goes on calling
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Every did not return when its context ended")
	}
}
