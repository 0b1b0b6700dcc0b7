# DeepLossDive. `make test` checks everything; `make run` re-executes every notebook.
# The first target you use builds .venv from requirements.txt (again only when that file changes).

# The one place that names the repository on GitHub. After a fork or a rename, change it here
# and run `make headers`: it rewrites every Colab badge, prev/next link and Colab clone URL.
GITHUB_REPO := kaushikmupadhya/DeepLossDive

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))

.DEFAULT_GOAL := help
.PHONY: help venv data run test lab lint headers benchmark clean

help:
	@echo "make run      execute every notebook in place, in order, each in a fresh kernel"
	@echo "make test     hygiene and unit tests, then nbval re-executes every notebook (strict)"
	@echo "make data     fetch MNIST into data/ through torchvision (run and test do it first)"
	@echo "make lab      open the notebooks in JupyterLab"
	@echo "make lint     ruff over utils.py, tests, .ci and the notebooks"
	@echo "make headers  stamp title, Colab badge and prev/next links into every notebook"
	@echo "make benchmark  rewrite the README's benchmark table from the executed notebooks"
	@echo "make clean    remove .venv and caches (keeps data/)"

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

venv: $(BIN)/.installed

data: $(BIN)/.installed
	$(BIN)/python -c "import utils; utils.load_mnist(); print('MNIST ready in', utils.DATA_DIR)"

# Outputs are produced and checked on the CPU, so that they repeat on any machine: CUDA is hidden.
run: headers data
	CUDA_VISIBLE_DEVICES= $(BIN)/python .ci/execute.py $(NOTEBOOKS)
	$(BIN)/python .ci/benchmark.py

test: data
	CUDA_VISIBLE_DEVICES= $(BIN)/python -m pytest tests notebooks --nbval --nbval-current-env \
		--nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout 300 -p no:cacheprovider

lab: data
	$(BIN)/jupyter lab notebooks

lint: $(BIN)/.installed
	$(BIN)/ruff check utils.py tests .ci notebooks
	$(BIN)/ruff format --check utils.py tests .ci notebooks

headers: $(BIN)/.installed
	$(BIN)/python .ci/headers.py --repo $(GITHUB_REPO) $(NOTEBOOKS)

benchmark: $(BIN)/.installed
	$(BIN)/python .ci/benchmark.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache __pycache__ tests/__pycache__ .ci/__pycache__
