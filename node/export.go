package node

import (
	"context"
	"log/slog"

	"github.com/tackhq/tack/export"
	"github.com/tackhq/tack/retention"
)

// startExport wires data exports and retention (issue 18, items 8 and 9)
// when the store keeps them and the node has organisations. Retention's
// sweeps are deadline jobs: register before runDeadlines.
func (n *Node) startExport(ctx context.Context, cfg Config, log *slog.Logger) error {
	if n.Org == nil {
		return nil
	}
	if es, ok := n.Store.(interface{ Exports() export.Store }); ok {
		ecfg := export.Config{Profile: n.Accounts, Directory: n.Org, Logger: log}
		if n.Media != nil {
			ecfg.Files = n.Media
		}
		if n.Attendance != nil {
			ecfg.Attendance = n.Attendance
		}
		if n.Approval != nil {
			ecfg.Approvals = n.Approval
		}
		n.Export = export.NewService(es.Exports(), nil, ecfg)
	}
	rs, ok := n.Store.(interface{ Retention() retention.Store })
	if !ok || n.Deadlines == nil {
		return nil
	}
	rcfg := retention.Config{Logger: log, Clock: cfg.RetentionClock, Every: cfg.RetentionEvery}
	if n.Media != nil {
		m := n.Media
		rcfg.Expired = func(ctx context.Context) {
			if _, _, err := m.Collect(ctx); err != nil && ctx.Err() == nil {
				log.Warn("retention: collect files", "err", err)
			}
		}
	}
	n.Retention = retention.NewService(rs.Retention(), n.Org, n.Chat, n.Deadlines, rcfg)
	n.Deadlines.Handle(retention.SweepJob, n.Retention.HandleSweep)
	return n.Retention.Resume(ctx)
}
