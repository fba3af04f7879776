package org

import (
	"strings"
	"testing"
)

// TestValidLogoLength: a logo URL of MaxLogo characters is kept, one of
// MaxLogo + 1 refused.
func TestValidLogoLength(t *testing.T) {
	base := "https://example.com/"
	at := base + strings.Repeat("a", MaxLogo-len(base))
	if got, err := validLogo(at); err != nil || got != at {
		t.Errorf("a logo of %d characters: %v", len(at), err)
	}
	if _, err := validLogo(at + "a"); err == nil {
		t.Errorf("a logo of %d characters was kept", len(at)+1)
	}
}
