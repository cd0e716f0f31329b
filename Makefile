# Two commands for learners: `make lab` and `make test`. Everything lives in .venv.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-requirements
export PYTHONHASHSEED := 0
# One BLAS thread: the course's matrices are small, and splitting them over cores that the
# notebooks, the test workers and the grader's kernels already keep busy costs more than it
# saves (chapter 7 ran 3x longer in CPU time with one thread per core on 2 cores).
export OPENBLAS_NUM_THREADS ?= 1

NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
NBVAL     := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: setup prepare lab test test-portable notebooks lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the requirements change: the stamp is newer than both files.
$(STAMP): requirements.txt pyproject.toml | $(PY)
	$(PY) -m pip install --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

setup: $(STAMP)

# The learner's folder, my-work/: a copy of every exercise it lacks, never over an existing file.
# (`make lab` runs it after setting up .venv.)
prepare:
	$(PY) -m minigrad exercises prepare

# Opens chapter 0, with the file browser on the course folder: notebooks/ beside my-work/.
lab: setup
	@$(MAKE) --no-print-directory prepare
	$(PY) -m jupyterlab --config=lab/jupyter_lab_config.py \
		--LabApp.default_url='/lab/tree/notebooks/00_start_here.ipynb?file-browser-path=/'

test: setup
	$(PY) -m pytest -n 2 tests $(if $(NOTEBOOKS),$(NBVAL) $(NOTEBOOKS))

# The stored notebook outputs again, under other numerics than this machine's own: another
# OpenBLAS matrix kernel and numpy's newer SIMD loops switched off (tests/numerics_env.py says
# which). Passing here as well as under `make test` is the evidence that the outputs do not
# depend on one CPU's round-off.
test-portable: setup
	env $$($(PY) tests/numerics_env.py) $(PY) tests/numerics_env.py --verify
	env $$($(PY) tests/numerics_env.py) $(PY) -m pytest -n 2 -p no:cacheprovider $(NBVAL) $(NOTEBOOKS)

# Re-execute every notebook in place, so the stored outputs match the code.
# MINIGRAD_WRITE_ASSETS: only this target rewrites the README's pictures in assets/.
notebooks: setup
	MINIGRAD_WRITE_ASSETS=1 $(PY) -m jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.record_timing=False $(NOTEBOOKS)

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache test-artifacts
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
