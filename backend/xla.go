//go:build xla

package backend

// With the `xla` build tag, the XLA backend is compiled in and can be selected with
// GOMLX_BACKEND=xla:cpu or GOMLX_BACKEND=xla:cuda. This imports go-xla's backend without its
// autoinstall package, so a missing PJRT plugin is an error, never a download.
import _ "github.com/gomlx/go-xla/compute/xla"
