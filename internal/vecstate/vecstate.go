// Package vecstate clears the upper halves of the CPU's vector registers before long stretches of
// scalar (legacy SSE) code.
//
// In GOEXPERIMENT=simd builds the upper halves of the vector registers can be left dirty, by AVX
// code and by the runtime's register save and restore around an asynchronous preemption. Scalar
// float code and SSE assembly (math's, crypto/sha256's SHA-NI blocks) then run many times slower on
// the machines this project targets until the next VZEROUPPER: SHA-256 of a report's snapshots
// measured 2.5 CPU s instead of about 0.1 s. reduce calls it in its hot loops (its clearUpper); the
// patched Go backend in third_party/compute, a separate module, keeps its own (clearAVXUpper).
package vecstate

// ClearUpper executes VZEROUPPER where the CPU has AVX and the build has GOEXPERIMENT=simd on amd64;
// elsewhere it does nothing. Call it right before scalar work, never between AVX instructions
// whose upper halves are live (it is a function call, so compiled Go code never is).
func ClearUpper() { clearUpper() }
