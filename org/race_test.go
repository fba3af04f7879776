//go:build race

package org_test

// raceDetector: the race detector multiplies memory, so resident memory is
// measured only without it (scripts/test.sh runs those tests so).
const raceDetector = true
