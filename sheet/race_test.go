//go:build race

package sheet_test

// raceDetector: the bombs are slow to build and parse under the race
// detector; scripts/test.sh runs them without it.
const raceDetector = true
