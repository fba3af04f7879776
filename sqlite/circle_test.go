package sqlite_test

import (
	"testing"

	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/circle"
	"github.com/tackhq/tack/media"
	"github.com/tackhq/tack/storetest"
)

func TestCircleStore(t *testing.T) {
	storetest.TestCircleStore(t, func(t *testing.T) (account.Store, media.Store, circle.Store) {
		db := openTest(t)
		return db, db.Media(), db.Circles()
	})
}

func TestAnnouncementStore(t *testing.T) {
	storetest.TestAnnouncementStore(t, func(t *testing.T) (account.Store, circle.AnnouncementStore) {
		db := openTest(t)
		return db, db.Announcements()
	})
}

func TestReportStore(t *testing.T) {
	storetest.TestReportStore(t, func(t *testing.T) (account.Store, circle.ReportStore) {
		db := openTest(t)
		return db, db.Reports()
	})
}
