# The two commands of the README:
#   make run    set up (first time) and start the hub on its embedded defaults
#   make test   set up (first time) and run the whole test suite
.PHONY: run test setup services bench clean

run: setup
	.venv/bin/liaison-hub serve

setup:
	bash scripts/setup.sh

test:
	bash scripts/setup.sh --test
	bash scripts/services.sh
	.venv/bin/python -m pytest -p no:cacheprovider $(PYTEST_ARGS)

bench: setup
	.venv/bin/python bench/relay_bench.py

clean:
	rm -rf .venv web/node_modules web/dist var
