# Comptoir — the commands a teacher, an administrator or a contributor needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
WORKERS ?= 4
FLASK  := $(BIN)/flask --app crm

.PHONY: run serve test bench install dev-install migrate demo clean

## make run: environment, migrations, demo data, then serve on http://$(HOST):$(PORT)
run: install migrate demo
	$(FLASK) run --host $(HOST) --port $(PORT)

## make serve: the same, under gunicorn on 0.0.0.0 for a classroom
serve: install migrate
	$(BIN)/gunicorn --workers $(WORKERS) --bind 0.0.0.0:$(PORT) --access-logfile - "crm:create_app()"

## make test: environment with test tools, then every test
test: dev-install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## make bench: speed and memory targets
bench: dev-install
	$(BIN)/python -m pytest benchmarks -q -s $(PYTEST_ARGS)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the pinned requirements change.
$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
dev-install: $(VENV)/.dev-installed

migrate: install
	$(FLASK) db upgrade

demo: install
	$(FLASK) demo

clean:
	rm -rf $(VENV) .pytest_cache
