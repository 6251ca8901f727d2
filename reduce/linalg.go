package reduce

// subtractProjection removes from v its component along the unit vector u: v -= (v·u) u
// (one modified Gram-Schmidt step; v and u have the same length).
func subtractProjection(v, u []float64) {
	u = u[:len(v)]
	var s float64
	for j := range v {
		s += v[j] * u[j]
	}
	for j := range v {
		v[j] -= s * u[j]
	}
}
