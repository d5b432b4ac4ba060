package clock

import (
	"context"
	"time"
)

// Every calls fn every interval of wall-clock time until ctx ends. fn gets
// ctx; a call in progress when ctx ends finishes first.
func Every(ctx context.Context, interval time.Duration, fn func(ctx context.Context)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn(ctx)
		}
	}
}
