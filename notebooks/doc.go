// Package notebooks holds the embviz GoNB notebooks (*.ipynb) and the tests that execute them
// headless through Jupyter's nbconvert with the GoNB kernel. Every notebook starts with the line
//
//	!*bash "${EMBVIZ_ROOT:-$GONB_DIR/..}/kernels-setup/gowork.sh"
//
// which wires the notebook's Go module to this repository (see kernels-setup/gowork.sh).
package notebooks
