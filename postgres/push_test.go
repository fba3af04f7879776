package postgres_test

import (
	"testing"

	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/push"
	"github.com/tackhq/tack/storetest"
)

func TestPushStore(t *testing.T) {
	baseDSN(t)
	storetest.TestPushStore(t, func(t *testing.T) (account.Store, push.Store) {
		db := open(t)
		return db, db
	})
}

func TestCertCache(t *testing.T) {
	baseDSN(t)
	storetest.TestCertCache(t, func(t *testing.T) storetest.CertCache { return open(t) })
}
