# embviz: the README's two commands.
#   make demo   set up the kernel, train the default run, execute the main notebook, export it to HTML
#   make test   install what the tests need, then vet, gofmt and every test (EMBVIZ_STRICT=1)
SHELL := /bin/bash
export GOEXPERIMENT := simd
export GOTOOLCHAIN := local

.PHONY: demo test

demo:
	@scripts/demo.sh

test:
	@scripts/test.sh
