package sqlite_test

import (
	"testing"

	"github.com/tackhq/tack/platform"
	"github.com/tackhq/tack/storetest"
)

func TestPlatformStore(t *testing.T) {
	storetest.TestPlatformStore(t, func(t *testing.T) platform.Store { return openTest(t).Platform() })
}
