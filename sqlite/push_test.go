package sqlite_test

import (
	"testing"

	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/push"
	"github.com/tackhq/tack/storetest"
)

func TestPushStore(t *testing.T) {
	storetest.TestPushStore(t, func(t *testing.T) (account.Store, push.Store) {
		db := openTest(t)
		return db, db
	})
}

func TestCertCache(t *testing.T) {
	storetest.TestCertCache(t, func(t *testing.T) storetest.CertCache { return openTest(t) })
}
