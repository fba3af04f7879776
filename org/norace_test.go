//go:build !race

package org_test

const raceDetector = false
