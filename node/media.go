package node

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tackhq/tack/blob"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/media"
)

// startMedia opens the blob store, starts the media service and its
// collector, and lets chat messages carry files.
func (n *Node) startMedia(ctx context.Context, cfg Config, ccfg *chat.Config, guard func() error) error {
	ms, ok := n.Store.(interface{ Media() media.Store })
	if !ok {
		return nil
	}
	var blobs blob.Store
	spool := ""
	dir := cfg.MediaDir
	if dir == "" && cfg.DataDir != "" {
		dir = filepath.Join(cfg.DataDir, "media")
	}
	switch {
	case cfg.S3URL != "":
		s3, err := blob.ParseS3(ctx, cfg.S3URL, true)
		if err != nil {
			return err
		}
		blobs = s3
		if cfg.DataDir != "" {
			spool = filepath.Join(cfg.DataDir, "spool")
		}
	case dir != "":
		d, err := blob.NewDir(dir)
		if err != nil {
			return err
		}
		blobs, spool = d, filepath.Join(dir, "spool")
	default:
		n.log.Warn("no place for media: files are off (give --media DIR or --s3 URL)")
		return nil
	}
	if spool != "" {
		if err := os.MkdirAll(spool, 0o700); err != nil {
			return fmt.Errorf("media spool: %w", err)
		}
		old, _ := filepath.Glob(filepath.Join(spool, "upload-*")) // left by a crash
		for _, f := range old {
			os.Remove(f)
		}
	}
	host, _ := os.Hostname()
	n.Media = media.NewService(ms.Media(), blobs, media.Config{Limits: cfg.MediaLimits, SpoolDir: spool, Grace: cfg.MediaGrace,
		Node: fmt.Sprintf("%s-%d-%d", host, os.Getpid(), time.Now().UnixNano()), Logger: n.log, Clock: cfg.Clock, WriteGuard: guard})
	ccfg.Files = n.Media
	ccfg.Trash = n.Media // a burn deletes the blobs it left unused at once
	if cfg.MediaEvery >= 0 {
		every := cfg.MediaEvery
		if every == 0 {
			every = 10 * time.Minute
		}
		mctx, stop := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); n.Media.Run(mctx, every) }()
		n.closers = append(n.closers, func() { stop(); <-done })
	}
	return nil
}
