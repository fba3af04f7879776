package postgres_test

import (
	"testing"

	"github.com/tackhq/tack/platform"
	"github.com/tackhq/tack/storetest"
)

func TestPlatformStore(t *testing.T) {
	baseDSN(t)
	storetest.TestPlatformStore(t, func(t *testing.T) platform.Store { return open(t).Platform() })
}
