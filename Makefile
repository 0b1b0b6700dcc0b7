# DeepLossDive. `make test` checks everything; `make run` re-executes every notebook.
# The first target you use builds .venv from requirements.txt (again only when that file changes).

# The one place that names the repository on GitHub. After a fork or a rename, change it here
# and run `make headers`: it rewrites every Colab badge, prev/next link and Colab clone URL.
GITHUB_REPO := kaushikmupadhya/DeepLossDive

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
# Worked answers to a notebook's exercises: notebooks/solutions/NN_slug.ipynb, named as the notebook is.
SOLUTIONS := $(sort $(wildcard notebooks/solutions/[0-9][0-9]_*.ipynb))

.DEFAULT_GOAL := help
.PHONY: help venv data run test test-oldest test-cpus lab lint headers benchmark clean

help:
	@echo "make run      execute every notebook, then every solutions notebook, in place, each in a fresh kernel"
	@echo "make test     hygiene and unit tests, then nbval re-executes every notebook (strict), JOBS=2 at once"
	@echo "make test-oldest  run every notebook on the oldest releases promised (Colab's), in .venv-oldest"
	@echo "make test-cpus    run every notebook on PyTorch's portable CPU kernels, two threads: another float path"
	@echo "make data     fetch MNIST into data/ through torchvision, when a file is missing (run and test do it first)"
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

# The oldest releases the README promises (Colab's torch, torchvision, matplotlib), in a venv of their own.
OLDEST := .venv-oldest
$(OLDEST)/bin/.installed: .ci/oldest-requirements.txt
	$(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install --quiet --upgrade pip
	$(OLDEST)/bin/python -m pip install --quiet -r .ci/oldest-requirements.txt
	touch $@

# The four files torchvision reads; fetched (and checked by loading them) only when one is missing, so that
# `make test` does not spend seconds before its first test once they are there.
MNIST_FILES := $(addprefix data/MNIST/raw/,train-images-idx3-ubyte train-labels-idx1-ubyte \
	t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
data: $(MNIST_FILES)
$(MNIST_FILES): | $(BIN)/.installed
	$(BIN)/python -c "import utils; utils.load_mnist(); print('MNIST ready in', utils.DATA_DIR)"

# Outputs are produced and checked on the CPU, so that they repeat on any machine: CUDA is hidden.
run: headers data
	CUDA_VISIBLE_DEVICES= $(BIN)/python .ci/execute.py $(NOTEBOOKS) $(SOLUTIONS)
	$(BIN)/python .ci/benchmark.py

# JOBS notebooks run at once (pytest-xdist, one notebook per worker), each kernel on one thread: two
# PyTorch processes that each use every core slow each other down many times over. `make test JOBS=1`
# runs them one after another, each on every core; JOBS=3 is no faster on 2 cores. On 2 cores, 20 notebooks
# and 18 solutions notebooks: 6 min 34 s with 2 jobs on an AVX-512 machine on a slow day (the 37 files before
# took 5 min 49 s to 7 min 10 s from one day to another); more on a slower AVX2 machine (the README's benchmark).
JOBS ?= 2
ifeq ($(JOBS),1)
PARALLEL :=
else
PARALLEL := OMP_NUM_THREADS=1 PYTEST_ADDOPTS="-n $(JOBS) --dist loadfile --no-loadscope-reorder"
endif

test: data
	CUDA_VISIBLE_DEVICES= $(PARALLEL) $(BIN)/python -m pytest tests notebooks --nbval --nbval-current-env \
		--nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout 300 -p no:cacheprovider

# Every cell must run and every assert hold; the outputs may differ in the last digits, so none is written.
test-oldest: data $(OLDEST)/bin/.installed
	CUDA_VISIBLE_DEVICES= $(OLDEST)/bin/python .ci/execute.py --check $(NOTEBOOKS) $(SOLUTIONS)

# PyTorch picks its CPU kernels by instruction set (AVX2 here, AVX-512 on many readers' machines, its own on a
# GPU), so training takes another float path on each machine. This runs every notebook on the portable kernels,
# with oneDNN and MKL held back too, on two threads: a path that neither `make test` (this machine's kernels,
# one thread per notebook) nor `make test-oldest` (older releases) takes. Every cell must run, every assert hold.
PORTABLE_KERNELS := ATEN_CPU_CAPABILITY=default ONEDNN_MAX_CPU_ISA=SSE41 MKL_ENABLE_INSTRUCTIONS=AVX
test-cpus: data
	CUDA_VISIBLE_DEVICES= $(PORTABLE_KERNELS) OMP_NUM_THREADS=2 $(BIN)/python .ci/execute.py --check $(NOTEBOOKS) $(SOLUTIONS)

lab: data
	$(BIN)/jupyter lab notebooks

lint: $(BIN)/.installed
	$(BIN)/ruff check utils.py tests .ci notebooks
	$(BIN)/ruff format --check utils.py tests .ci notebooks

headers: $(BIN)/.installed
	$(BIN)/python .ci/headers.py --repo $(GITHUB_REPO) $(NOTEBOOKS) $(SOLUTIONS)

benchmark: $(BIN)/.installed
	$(BIN)/python .ci/benchmark.py

clean:
	rm -rf $(VENV) $(OLDEST) .pytest_cache .ruff_cache __pycache__ tests/__pycache__ .ci/__pycache__
