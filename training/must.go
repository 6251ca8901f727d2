package training

// MustLoadCurriculum is LoadCurriculum followed by ScaleCurriculum(c, factor) (factor 0 leaves the
// curriculum unscaled) that panics with the same clear error; for notebooks, e.g.
//
//	cur := training.MustLoadCurriculum(path, training.QuickScale(0.25))
//
// Note that scaling by 1 is not a no-op for FindRun: the scaled curriculum's source records the
// factor.
func MustLoadCurriculum(path string, factor float64) *Curriculum {
	c, err := LoadCurriculum(path)
	if err == nil && factor != 0 {
		c, err = ScaleCurriculum(c, factor)
	}
	if err != nil {
		panic(err)
	}
	return c
}
