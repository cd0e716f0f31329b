# Two commands for learners: `make lab` and `make test`. Everything lives in .venv.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-requirements
export PYTHONHASHSEED := 0

NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
NBVAL     := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: setup prepare lab test notebooks lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the requirements change: the stamp is newer than both files.
$(STAMP): requirements.txt pyproject.toml | $(PY)
	$(PY) -m pip install --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

setup: $(STAMP)

# The learner's folder, my-work/: a copy of every exercise it lacks, never over an existing file.
prepare:
	$(PY) -m minigrad exercises prepare

# Opens chapter 0, with the file browser on the course folder: notebooks/ beside my-work/.
lab: setup
	@$(MAKE) --no-print-directory prepare
	$(PY) -m jupyterlab --config=lab/jupyter_lab_config.py \
		--LabApp.default_url='/lab/tree/notebooks/00_start_here.ipynb?file-browser-path=/'

test: setup
	$(PY) -m pytest -n 2 tests $(if $(NOTEBOOKS),$(NBVAL) $(NOTEBOOKS))

# Re-execute every notebook in place, so the stored outputs match the code.
notebooks: setup
	$(PY) -m jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.record_timing=False $(NOTEBOOKS)

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache test-artifacts
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
