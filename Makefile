# The two commands a newcomer needs: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The interpreter the venv is made from: the distribution's Python 3.11 where there is one.
# Debian builds it with profile-guided and link-time optimisation and links the interpreter
# statically, as the production image's python:3.11 is optimised; a Python built from
# source without those (pyenv's default: shared libpython, no PGO) runs the same code
# 15-20% slower (docs/performance.md). Override with `make venv PYTHON=...`.
PYTHON ?= $(firstword $(wildcard /usr/bin/python3.11) python3.11)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: venv demo test test-fast lint bench migrate messages clean-demo

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q ".[dev]"
	touch $@

.env:
	cp .env.example .env

migrate: venv .env
	$(PY) manage.py migrate --noinput -v 0

# PUBLIC_PORT: the port in the links the demo prints and its e-mails carry.
demo: migrate
	PUBLIC_PORT=$(PORT) $(PY) manage.py demo_setup
	PUBLIC_PORT=$(PORT) $(PY) manage.py runserver 0.0.0.0:$(PORT) --noreload

test: venv
	$(PY) -m pytest

test-fast: venv
	$(PY) -m pytest -m "not browser"

lint: venv
	$(VENV)/bin/ruff check .

bench: venv
	$(PY) -m pytest tests/bench -p no:randomly -m bench -s

messages: venv
	cd lk_core && ../$(PY) ../manage.py makemessages -l ru -l en --no-obsolete
	$(PY) manage.py compilemessages

clean-demo:
	rm -rf var/pgdata var/mail var/media

# Background work (docs/tasks.md): workers for TASK_ENGINE=celery / dramatiq, the scheduler.
.PHONY: worker-celery worker-dramatiq scheduler
worker-celery: venv
	PYTHONPATH=platform:. $(VENV)/bin/celery -A lk_platform.celery_app worker -l info --concurrency 4

worker-dramatiq: venv
	PYTHONPATH=platform:. $(VENV)/bin/dramatiq lk_platform.dramatiq_app --processes 2 --threads 4

scheduler: venv
	$(PY) manage.py run_scheduler
