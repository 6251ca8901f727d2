//go:build race

package reduce

// umapRaceEnabled forces single-threaded SGD under the race detector (Hogwild updates race by design).
const umapRaceEnabled = true
