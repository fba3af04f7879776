package attendance

// RcMaxPunchAttempts is how often a punch is tried when a concurrent
// punch of the same person moved the day (for the external tests).
const RcMaxPunchAttempts = maxPunchAttempts
