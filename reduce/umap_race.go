//go:build race

package reduce

// umapRaceEnabled runs UMAP single-threaded under the race detector (faster there; same result).
const umapRaceEnabled = true
