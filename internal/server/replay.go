package server

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/monban/monban/internal/replay"
	"github.com/monban/monban/internal/store"
)

// replayCache is where the ids of client assertions and DPoP proofs are
// recorded, shared by every instance: the database, or Redis when
// configured (falling back to the database while Redis fails). A Redis
// client is closed when life ends.
func replayCache(life context.Context, cfg Config, st store.Store) (replay.Cache, error) {
	db := replay.Store{S: st, Now: cfg.Clock.Now}
	if cfg.RedisURL == "" {
		return db, nil
	}
	o, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("MONBAN_REDIS_URL: %w", err)
	}
	client := redis.NewClient(o)
	context.AfterFunc(life, func() { _ = client.Close() })
	return replay.Fallback{
		Primary:   replay.Redis{Client: client, Prefix: "monban:jti:", Now: cfg.Clock.Now},
		Secondary: db,
		OnFallback: func(err error) {
			cfg.Logger.Warn("recording a single-use id in Redis failed; the database records it", "err", err)
		},
	}, nil
}
