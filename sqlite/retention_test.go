package sqlite_test

import (
	"testing"

	"github.com/tackhq/tack/storetest"
)

func dataStores(t *testing.T) storetest.DataStores {
	db := openTest(t)
	return storetest.DataStores{Accounts: db, Chat: db, Org: db, Media: db.Media(), Retention: db.Retention(), Export: db.Exports(), Search: db}
}

func TestRetentionStore(t *testing.T) { storetest.TestRetentionStore(t, dataStores) }

func TestExportStore(t *testing.T) { storetest.TestExportStore(t, dataStores) }

func TestSearchFileNames(t *testing.T) { storetest.TestSearchFileNames(t, dataStores) }
