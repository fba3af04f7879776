package node

import (
	"context"
	"log/slog"
	"time"

	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/deadline"
)

// deadlineStore is what a store offers for the deadline queue.
type deadlineStore interface{ Deadlines() deadline.Store }

// runDeadlines starts the node's deadline runner (registered handlers must
// be in place) and the burn sweep: at start, then every minute, any secret
// message whose time has come burns even if its job was lost.
func (n *Node) runDeadlines(log *slog.Logger) {
	if n.Deadlines == nil {
		return
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { defer func() { done <- struct{}{} }(); n.Deadlines.Run(ctx) }()
	go func() {
		defer func() { done <- struct{}{} }()
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			if burned, err := n.Chat.SweepBurns(ctx); err != nil && ctx.Err() == nil {
				log.Warn("sweep burns", "err", err)
			} else if burned > 0 {
				log.Info("swept burns", "burned", burned)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	n.closers = append(n.closers, func() { stop(); <-done; <-done })
}

var _ chat.Deadlines = (*deadline.Runner)(nil)
