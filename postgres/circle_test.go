package postgres_test

import (
	"testing"

	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/circle"
	"github.com/tackhq/tack/media"
	"github.com/tackhq/tack/storetest"
)

func TestCircleStore(t *testing.T) {
	baseDSN(t)
	storetest.TestCircleStore(t, func(t *testing.T) (account.Store, media.Store, circle.Store) {
		db := open(t)
		return db, db.Media(), db.Circles()
	})
}

func TestAnnouncementStore(t *testing.T) {
	baseDSN(t)
	storetest.TestAnnouncementStore(t, func(t *testing.T) (account.Store, circle.AnnouncementStore) {
		db := open(t)
		return db, db.Announcements()
	})
}

func TestReportStore(t *testing.T) {
	baseDSN(t)
	storetest.TestReportStore(t, func(t *testing.T) (account.Store, circle.ReportStore) {
		db := open(t)
		return db, db.Reports()
	})
}
