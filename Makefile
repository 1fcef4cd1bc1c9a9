# The README's two commands. Each first makes sure .venv holds the whole stack
# (tools/install_env.sh returns at once when it is already complete).
PY := .venv/bin/python
PYTEST_ARGS ?= -n 2

.PHONY: env demo test

env:
	bash tools/install_env.sh

demo: env
	$(PY) tools/demo.py

test: env
	$(PY) -m pytest tests $(PYTEST_ARGS)
