# LST on FPGA. `make install` then `make test`; `make verilog` is the main job.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   := .venv
PY     := $(VENV)/bin/python
LST    := $(VENV)/bin/lst
PYTEST := $(VENV)/bin/pytest

# MNIST: $MNIST_DIR if set, else the shared copy beside the checkout, else data/mnist.
MNIST_DIR ?= $(if $(wildcard ../shared/data/mnist/t10k-labels-idx1-ubyte.gz),$(abspath ../shared/data/mnist),$(abspath data/mnist))
export MNIST_DIR

# Hardware generator settings (see `lst verilog --help`).
# MODEL=ht1, dct1 or bwt1: the transform-domain cores (make verilog, make verify-full).
MODEL      ?= lst1
CHECKPOINT ?= models/$(MODEL).safetensors
# Empty: the model's default (28; the transform-domain cores: their side, 32 or 28).
LANES      ?=
# MODEL=ht1: HADAMARD=butterfly (default: adder pipelines) or lanes (±1 accumulators).
HADAMARD   ?=
FORMAT     ?= q5.7
# Pixels per input beat (1, 2, 4, 7, 14, 28): above 56 lanes one pixel per cycle is too
# slow for the lanes (lst verilog says so); the AXI path delivers 4.
PPB        ?= 1
# Lanes built as DSP48E1 slices (default: as many as the XC7Z010 has, 80); the rest are
# fabric lanes. DSP_LANES=0 builds every lane from LUTs.
DSP_LANES  ?=
# PACKED=1: two lanes per DSP48E1 slice (8-bit formats, e.g. FORMAT=q2.6).
PACKED     ?=
# verify-full: WEIGHTS=loadable writes the model through the core's load port first
# (LOAD=checkpoint or lst quantize directory: another model of the same shape and format).
WEIGHTS    ?= baked
LOAD       ?=
BUILD      ?= build
# Zynq processor-system build (`make vivado`): board and PL clock (FCLK0).
BOARD      ?= zybo-z7-10
FCLK_MHZ   ?= 100
# Stand-alone self-test (`make bitstream`): the core's clock, made by the board's MMCM
# (Zybo: a Vivado build plan) or PLL (BOARD=ulx3s-85f or ulx3s-45f: built here by the
# open flow, Yosys + nextpnr-ecp5 + ecppack from PyPI, with nextpnr's SEED).
CLOCK_MHZ  ?= 100
SEED       ?= 1
# Place and route of the core alone on an ECP5 (`make pnr`, `make pnr-all`).
PNR_DEVICE ?= lfe5u-85f

# make report: the per-model table's models (each at 28 and 56 lanes).
REPORT_MODELS ?= lst1,lst2,reslst3

# Training: the shipped checkpoints' recipes as recorded in their metadata
# (`lst info models/NAME.safetensors`). Writes $(TRAIN_OUT)/NAME.safetensors and .log.csv;
# TRAIN_OUT=models replaces the shipped checkpoints (the only case that passes --force).
TRAIN_OUT   ?= build/train
TRAIN_ARGS  := --epochs 300 --lr 2e-3 --weight-decay 1e-5 --batch-size 1000 --seed 0 \
               --schedule constant --dropout 0.1 --threads 1
TRAIN_FORCE  = $(if $(filter models models/ ./models ./models/,$(TRAIN_OUT)),--force)

.PHONY: help install test test-slow verify-full verify-ci verilog vivado bitstream pnr pnr-all report targets axi-timing install-pynq test-pynq formal lint format train clean

help:
	@echo "make install      create .venv and install the project with its dev extras"
	@echo "make test         run the test suite (about 6 min warm, 8 cold, on 2 cores; docs/testing.md)"
	@echo "make test-slow    the long regressions (about 10 min); CI: docs/testing.md (26 to 38 min in all)"
	@echo "make test-pynq    the board driver over the real pynq 4.0 and the board notebook, in .venv-pynq (make install-pynq)"
	@echo "make verilog      generate Verilog + ROM files under $(BUILD)/verilog/ (MODEL= CHECKPOINT= LANES= FORMAT= PPB= DSP_LANES= PACKED=1 IGNORE_FIT=1)"
	@echo "make vivado       Zynq PS block design + wrapper + driver for Vivado under $(BUILD)/vivado-BOARD (BOARD= FCLK_MHZ= FORCE=1)"
	@echo "make bitstream    self-test under $(BUILD)/BOARD: Zybo: Vivado build plan (runs it if vivado is on PATH); BOARD=ulx3s-85f: the bitstream, open flow (LANES= FORMAT= CLOCK_MHZ= SEED= FORCE=1)"
	@echo "make pnr          place and route the 28-lane core on an ECP5 (open flow): post-route Fmax, critical path"
	@echo "make pnr-all      the same for 28 to 196 lanes, recorded in docs/performance.md"
	@echo "make verify-full  stream all 10,000 MNIST test images through the RTL"
	@echo "make verify-ci    the thirteen verify-full runs of CI, two at a time (make -j2 --output-sync)"
	@echo "make report       area (Yosys, XC7Z010) and cycle report -> docs/performance.md"
	@echo "make formal       prove the AXI wrapper's properties with SymbiYosys (docs/verification.md)"
	@echo "make targets      the project's targets, met or not, from docs/performance.json (bench/targets.py)"
	@echo "make axi-timing   images/s and latency through the AXI path, simulated (AXI_LANES=28,56,112; docs/board.md)"
	@echo "make lint         ruff format --check and ruff check"
	@echo "make train        retrain the shipped LST checkpoints into $(TRAIN_OUT)/ (long; TRAIN_OUT=models replaces them)"
	@echo "make clean        remove $(BUILD)/, sim_build/ (simulator builds) and tool caches"

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

# The driver's PYNQ back end with the real pynq package (pynq 4.0 needs NumPy < 2: its
# own environment, .venv-pynq); make test-pynq runs it against the simulated wrapper.
PYNQ_VENV := .venv-pynq
$(PYNQ_VENV)/.installed: pyproject.toml
	test -x $(PYNQ_VENV)/bin/python || python3 -m venv $(PYNQ_VENV)
	$(PYNQ_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PYNQ_VENV)/bin/python -m pip install --quiet -e ".[sim,pynq]" "pytest>=8"
	touch $@

install-pynq: $(PYNQ_VENV)/.installed

test-pynq: $(PYNQ_VENV)/.installed
	MNIST_DIR=$(MNIST_DIR) $(PYNQ_VENV)/bin/pytest -q -p no:cacheprovider tests/test_pynq_backend.py

install: $(VENV)/.installed

# Two workers (pytest-xdist), one test module each at a time; simulator builds of one
# configuration are serialized by a lock (sim/build_cache.py). JOBS=1 runs in one process.
JOBS ?= 2
XDIST = $(if $(filter-out 1,$(JOBS)),-n $(JOBS) --dist loadfile)
# DURATIONS=N lists the N slowest tests (docs/testing.md; CI shows 25).
DURATIONS ?=
TIMES = $(if $(DURATIONS),--durations=$(DURATIONS))

# WAVES=1: every simulator run writes a waveform (cocotb's runner reads $$WAVES; traced
# builds go to sim_build/<config>/<simulator>-waves; docs/debugging.md).
WAVES ?=
WAVES_ENV = $(if $(WAVES),WAVES=$(WAVES))

test: $(VENV)/.installed
	$(WAVES_ENV) $(PYTEST) -m "not slow" $(XDIST) $(TIMES)

test-slow: $(VENV)/.installed
	$(WAVES_ENV) $(PYTEST) -m slow $(XDIST) $(TIMES)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

train: $(VENV)/.installed
	mkdir -p $(TRAIN_OUT)
	$(LST) train --model lst1 $(TRAIN_ARGS) --out $(TRAIN_OUT)/lst1.safetensors $(TRAIN_FORCE)
	$(LST) train --model lst2 $(TRAIN_ARGS) --out $(TRAIN_OUT)/lst2.safetensors $(TRAIN_FORCE)
	$(LST) train --model reslst3 $(TRAIN_ARGS) --val-split 5000 \
		--out $(TRAIN_OUT)/reslst3.safetensors $(TRAIN_FORCE)

# Every hardware command checks its build request the same way (hw/request.py):
# IGNORE_FIT=1 builds a design the area estimate says does not fit the device.
LANES_ARG = $(if $(LANES),--lanes $(LANES)) $(if $(HADAMARD),--hadamard $(HADAMARD))
REQUEST = --model $(MODEL) --checkpoint $(CHECKPOINT) $(LANES_ARG) --format $(FORMAT) \
          $(if $(DSP_LANES),--dsp-lanes $(DSP_LANES)) $(if $(filter-out 0,$(PACKED)),--packed-dsp) \
          $(if $(IGNORE_FIT),--ignore-fit)

verilog: $(VENV)/.installed
	$(LST) verilog $(REQUEST) --pixels-per-beat $(PPB) --out $(BUILD)/verilog --lint

vivado: $(VENV)/.installed
	$(LST) board vivado $(REQUEST) --board $(BOARD) \
		--fclk-mhz $(FCLK_MHZ) --out $(BUILD)/vivado-$(BOARD) $(if $(FORCE),--force)

bitstream: $(VENV)/.installed
	$(LST) board bitstream $(REQUEST) --board $(BOARD) --seed $(SEED) \
		--clock-mhz $(CLOCK_MHZ) --out $(BUILD)/$(BOARD) $(if $(FORCE),--force)

# The core placed and routed out of context on $(PNR_DEVICE) at 100 MHz (exit 2 if
# routed timing misses it): CI's configurations; pnr-all adds the wide ones and records
# every result in docs/performance.md (--ignore-timing: the Fmax is the figure).
PNR = $(LST) board pnr --device $(PNR_DEVICE) --clock-mhz $(CLOCK_MHZ) --seed $(SEED) --force
pnr: $(VENV)/.installed
	$(PNR) --lanes 28 --out $(BUILD)/pnr/l28

pnr-all: $(VENV)/.installed
	$(PNR) --lanes 28 --out $(BUILD)/pnr/l28 --ignore-timing --record docs
	$(PNR) --lanes 56 --out $(BUILD)/pnr/l56 --ignore-timing --record docs
	$(PNR) --lanes 112 --pixels-per-beat 2 --out $(BUILD)/pnr/l112 --ignore-timing --record docs
	$(PNR) --lanes 196 --pixels-per-beat 4 --out $(BUILD)/pnr/l196 --ignore-timing --record docs

# verify-full WAVES=1: a waveform of the first 100 images in $(BUILD)/waves; DIFF=1: every
# stage of every image against the golden model (docs/debugging.md). A failing image is
# traced alone into $(BUILD)/waves either way.
DIFF ?=
VERIFY_TRACE = $(BUILD)/waves/verify-$(MODEL)-l$(or $(LANES),default)-p$(PPB)-$(FORMAT)-$(WEIGHTS).fst

verify-full: $(VENV)/.installed
	$(if $(filter-out 0,$(WAVES)),mkdir -p $(BUILD)/waves)
	$(LST) verify --model $(MODEL) --checkpoint $(CHECKPOINT) $(LANES_ARG) --format $(FORMAT) \
		--pixels-per-beat $(PPB) $(if $(DSP_LANES),--dsp-lanes $(DSP_LANES)) \
		$(if $(filter-out 0,$(PACKED)),--packed-dsp) --weights $(WEIGHTS) $(if $(LOAD),--load $(LOAD)) --waves-dir $(BUILD)/waves \
		$(if $(filter-out 0,$(WAVES)),--waves $(VERIFY_TRACE)) $(if $(filter-out 0,$(DIFF)),--diff) --json

# The full-test-set regressions CI runs, two at a time (each is one simulator process):
# every configuration changed or added by the work it covers, bit-exact on 10,000 images.
VERIFY_CI := lst1-28 lst1-28-loadable lst1-56 lst1-112 lst1-140 lst1-196-q2.6 \
	lst1-196-q2.6-packed lst2-28 reslst3-28 ht1 ht1-32 dct1 bwt1
.PHONY: $(addprefix verify-ci-,$(VERIFY_CI))
verify-ci: $(addprefix verify-ci-,$(VERIFY_CI))
verify-ci-lst1-28:          ; $(MAKE) --no-print-directory verify-full
verify-ci-lst1-28-loadable: ; $(MAKE) --no-print-directory verify-full WEIGHTS=loadable
verify-ci-lst1-56:          ; $(MAKE) --no-print-directory verify-full LANES=56
verify-ci-lst1-112:         ; $(MAKE) --no-print-directory verify-full LANES=112 PPB=4
verify-ci-lst1-140:         ; $(MAKE) --no-print-directory verify-full LANES=140 PPB=4
verify-ci-lst1-196-q2.6:    ; $(MAKE) --no-print-directory verify-full LANES=196 PPB=4 FORMAT=q2.6
verify-ci-lst1-196-q2.6-packed: ; $(MAKE) --no-print-directory verify-full LANES=196 PPB=4 FORMAT=q2.6 PACKED=1
verify-ci-lst2-28:          ; $(MAKE) --no-print-directory verify-full MODEL=lst2
verify-ci-reslst3-28:       ; $(MAKE) --no-print-directory verify-full MODEL=reslst3
verify-ci-ht1:              ; $(MAKE) --no-print-directory verify-full MODEL=ht1
verify-ci-ht1-32:           ; $(MAKE) --no-print-directory verify-full MODEL=ht1 LANES=32
verify-ci-dct1:             ; $(MAKE) --no-print-directory verify-full MODEL=dct1
verify-ci-bwt1:             ; $(MAKE) --no-print-directory verify-full MODEL=bwt1

report: $(VENV)/.installed
	$(LST) report --checkpoint $(CHECKPOINT) --models $(REPORT_MODELS) --out docs
	$(LST) board report --out docs
	$(LST) report --transform --out docs

# Formal proofs (SymbiYosys, Yices): properties proven, checked to a bound, covered.
formal: $(VENV)/.installed
	$(PY) -m formal

# Throughput and latency through the AXI path, in simulation (bench/axi_timing.py;
# docs/board.md): the wrapper and core on Icarus, one image per packet at full rate.
AXI_LANES ?= 28,56,112
axi-timing: $(VENV)/.installed
	$(PY) bench/axi_timing.py --lanes $(AXI_LANES)

# The project's targets judged from the recorded report (bench/targets.py).
targets: $(VENV)/.installed
	$(PY) bench/targets.py docs/performance.json

clean:
	rm -rf $(BUILD) sim_build .pytest_cache .ruff_cache
