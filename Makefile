# Comptoir — the commands a teacher, an administrator or a contributor needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
WORKERS ?= 4
FLASK  := $(BIN)/flask --app crm

.PHONY: run serve test test-tools bench install dev-install migrate demo clean check-pdf

## make run: environment, migrations, demo data, then serve on http://$(HOST):$(PORT)
run: install migrate demo
	@$(MAKE) --no-print-directory check-pdf || echo "Comptoir démarre quand même, mais sans les PDF."
	$(FLASK) run --host $(HOST) --port $(PORT)

## make serve: the same, under gunicorn on 0.0.0.0 for a classroom
serve: install migrate
	@$(MAKE) --no-print-directory check-pdf || echo "Comptoir démarre quand même, mais sans les PDF."
	$(BIN)/gunicorn --workers $(WORKERS) --bind 0.0.0.0:$(PORT) --access-logfile - "crm:create_app()"

## make test: environment with test tools, then every test
test: dev-install check-pdf test-tools
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## make test-tools: axe-core (accessibility checks of the browser tests), pinned in package-lock.json
test-tools: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --no-audit --no-fund --silent && touch $@; \
	else \
	  echo "npm absent : les contrôles d'accessibilité (axe-core) des tests navigateur seront ignorés."; \
	fi

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

## make check-pdf: can WeasyPrint (the PDF engine) load its system libraries?
check-pdf: install
	@$(BIN)/python -c "import weasyprint" 2>/dev/null || { \
	  echo ""; \
	  echo "*** WeasyPrint (création des PDF) ne peut pas se charger : il manque les bibliothèques Pango."; \
	  echo "*** Installez les paquets Debian : sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0"; \
	  echo ""; \
	  exit 1; }

migrate: install
	$(FLASK) db upgrade

demo: install
	$(FLASK) demo

clean:
	rm -rf $(VENV) .pytest_cache node_modules
