# Portail Clas — commandes de développement. Voir README.md.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# xstatic-bootstrap est publié en source et se construit avec pkg_resources (setuptools < 81).
export PIP_CONSTRAINT := $(CURDIR)/build-constraints.txt
# pip ≥ 26.2 ne transmet plus PIP_CONSTRAINT aux environnements de construction :
export PIP_BUILD_CONSTRAINT := $(CURDIR)/build-constraints.txt
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help install run demo test test-pg lint format migrate bench backup restore clean

help:
	@echo "make run    : installe, migre, charge la démo et lance le site + le worker Celery"
	@echo "make test   : installe, puis ruff, makemigrations --check et pytest"
	@echo "make bench  : banc de performance (rapport dans var/bench/)"
	@echo "make backup : sauvegarde base + fichiers ; make restore SAUVEGARDE=… : restauration"

$(VENV)/.installe: pyproject.toml build-constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installe

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py charger_demo

run: demo
	@echo ""
	@echo "  Portail Clas : http://127.0.0.1:8000/connexion/  (Ctrl-C arrête le site et le worker)"
	@echo ""
	$(VENV)/bin/honcho -f Procfile.dev start

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: lint
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

bench: install
	$(PIP) install --quiet -e '.[dev,bench]'
	$(PY) bench/run.py

# Sauvegarde de la base (pg_dump, ou copie SQLite) et des fichiers déposés : docs/sauvegarde-restauration.md
SAUVEGARDES ?= var/sauvegardes
backup: install
	$(PY) manage.py sauvegarder --dossier $(SAUVEGARDES)

# make restore SAUVEGARDE=var/sauvegardes/clas-AAAAMMJJ-… (demande confirmation)
restore: install
	@test -n "$(SAUVEGARDE)" || (echo "Indiquez la sauvegarde : make restore SAUVEGARDE=var/sauvegardes/clas-…" && exit 2)
	$(PY) manage.py restaurer $(SAUVEGARDE)

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache .hypothesis
