# The commands a newcomer needs; README.md explains each.
VENV ?= .venv
PY := $(VENV)/bin/python
# The suite runs on PostgreSQL (races and constraints are part of what it proves).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres

.PHONY: setup messages run demo test bench

setup: $(VENV)/.installed messages

$(VENV)/.installed: requirements.txt requirements-dev.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# The Korean and English catalogues (GNU gettext's msgfmt does the compiling).
messages: $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))

%.mo: %.po
	msgfmt --check-format -o $@ $<

# Web server and worker together, on a SQLite file and the ORM broker.
run: setup
	bin/dev-server

# Post realistic signed webhooks to the server `make run` started.
demo: setup
	bin/dev-env $(PY) manage.py simulate_clawops

test: setup
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m pytest

bench: setup
	$(PY) bench/intake.py
