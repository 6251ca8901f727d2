package datasets

// MustColors is Colors that panics on invalid options; for notebooks.
func MustColors(opts ColorsOptions) *Dataset {
	d, err := Colors(opts)
	if err != nil {
		panic(err)
	}
	return d
}
