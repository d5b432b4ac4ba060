package claims

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// maxStackSlots bounds the call depth of a VM, in the engine's stack slots
// (about one per JavaScript call, 3 to 9 through a getter, forEach, apply
// or a callback; one per level of JSON nesting): deep recursion throws a
// stack overflow. The engine's default, 5000, let a script that catches
// stack overflows and recurses again build a backtrace thousands of frames
// long at every throw: the engine checks for an interrupt only every 10,000
// calls, so that took a minute or more past the deadline. The cost of a
// throw grows with the depth; at this depth such a script ends a few
// seconds past its deadline, and the watchdog answers its caller before.
const maxStackSlots = 256

// defaultGrace is how long past its deadline a run may take to return
// before the watchdog abandons it.
const defaultGrace = 500 * time.Millisecond

// budget is a share of the runner's capacity: runs in progress (slots,
// each with a VM) and runs executing JavaScript (places). Issuance and test
// runs have one each, so that test runs never hold up issuance.
type budget struct {
	slots     chan struct{}
	executing chan struct{}
	// abandoned counts the runs the watchdog abandoned and that gave their
	// slot and place back while still going, at most maxAbandoned: beyond
	// that, an abandoned run keeps them until it returns, so that runs that
	// do not stop cannot pile up.
	abandoned    atomic.Int32
	maxAbandoned int32
}

func newBudget(concurrent, executing int) *budget {
	return &budget{
		slots:        make(chan struct{}, concurrent),
		executing:    make(chan struct{}, executing),
		maxAbandoned: int32(executing),
	}
}

// runJob is one run, shared by the caller of Run, which waits for it, and
// the goroutine executing it. Its slot and its place among the executing
// runs are given back exactly once: by the goroutine, or by the watchdog
// when it abandons the run.
type runJob struct {
	b    *budget
	done chan struct{} // closed when res and err are set

	res Result
	err error

	mu        sync.Mutex
	vm        *jsvm // the VM of the run, once it has one
	slot      bool  // a slot is held
	holding   bool  // a place among the executing runs is held
	finished  bool  // the goroutine has its result: the watchdog keeps off
	abandoned bool  // the caller was answered with a timeout
	freed     bool  // the watchdog gave the slot and the place back
}

// resume takes a place among the runs executing JavaScript, waiting until
// the deadline; pause gives it up, while the run awaits a fetch or a timer.
func (j *runJob) resume(ctx context.Context, deadline time.Time) error {
	if err := acquire(ctx, j.b.executing, deadline); err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.freed {
		<-j.b.executing
		return ErrTimeout
	}
	j.holding = true
	return nil
}

func (j *runJob) pause() {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.holding {
		j.holding = false
		<-j.b.executing
	}
}

func (j *runJob) releaseSlot() {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.slot {
		j.slot = false
		<-j.b.slots
	}
}

func (j *runJob) setVM(v *jsvm) {
	j.mu.Lock()
	j.vm = v
	j.mu.Unlock()
}

// finish marks the end of the run, as seen by the goroutine executing it,
// and reports whether the caller was answered meanwhile.
func (j *runJob) finish() (abandoned bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.finished = true
	return j.abandoned
}

// abandon is the watchdog: the run is past its deadline and its grace and
// has not returned. Unless it has just finished, the caller is answered
// with a timeout; the run's slot and place are given back (while fewer than
// maxAbandoned runs have), its VM is interrupted again and will be closed,
// never reused, when the run returns. It reports whether it abandoned the
// run.
func (r *Runner) abandon(j *runJob) bool {
	j.mu.Lock()
	if j.finished {
		j.mu.Unlock()
		return false
	}
	j.abandoned = true
	b := j.b
	if b.abandoned.Add(1) <= b.maxAbandoned {
		j.freed = true
		if j.holding {
			j.holding = false
			<-b.executing
		}
		if j.slot {
			j.slot = false
			<-b.slots
		}
	} else {
		b.abandoned.Add(-1)
	}
	v := j.vm
	j.mu.Unlock()
	if v != nil {
		v.js.Interrupt()
	}
	r.runsAbandoned.Add(1)
	r.abandonedRunning.Add(1)
	return true
}

// endAbandoned is what the goroutine of an abandoned run does when the run
// returns at last: it closes the VM and gives back what the watchdog did
// not. Nothing of the run reaches the pool, the memo or the caller.
func (r *Runner) endAbandoned(j *runJob, v *jsvm) {
	if v != nil {
		v.close()
		r.vmsClosed.Add(1)
	}
	j.pause()
	j.releaseSlot()
	j.mu.Lock()
	freed := j.freed
	j.mu.Unlock()
	if freed {
		j.b.abandoned.Add(-1)
	}
	r.abandonedRunning.Add(-1)
}
