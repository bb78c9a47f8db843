# Every target bootstraps .venv/<distro> and the colcon build idempotently (scripts/bootstrap.sh).
# ROS_DISTRO=kilted|jazzy picks the ROS 2 distribution (default kilted), e.g. `ROS_DISTRO=jazzy make test`.
SHELL := /bin/bash
export ROS_DISTRO ?= kilted
RUN := . scripts/env.sh &&
# A private DDS domain per run keeps parallel runs (and other users) apart.
export ROS_DOMAIN_ID ?= $(shell echo $$(( ($$$$ % 100) + 101 )))
export ROS_AUTOMATIC_DISCOVERY_RANGE ?= LOCALHOST

.PHONY: setup demo test test-unit test-graph test-scenario soak soak-spot bench lint clean

setup:
	@bash scripts/bootstrap.sh

demo: setup
	@$(RUN) python -m brainbody.cli demo "make coffee"

# Unit, scenario and launch tests run on TEST_WORKERS processes side by side (pytest-xdist; auto: one per
# core; 0: all in one); then the graph tests one at a time: their processes run on the wall clock
# (drivers, DDS, a simulator at real time), and two at once on 2 cores starve each other's loops.
# Both parts always run; the target fails if either does.
TEST_WORKERS ?= auto
PYTEST := python -m pytest -q

test: setup
	@$(RUN) $(PYTEST) -n $(TEST_WORKERS) test/unit test/scenario test/launch; parallel=$$?; \
		$(PYTEST) test/graph; graph=$$?; exit $$(( parallel || graph ))

test-unit: setup
	@$(RUN) $(PYTEST) -n $(TEST_WORKERS) test/unit

test-graph: setup
	@$(RUN) $(PYTEST) test/graph

test-scenario: setup
	@$(RUN) $(PYTEST) -n $(TEST_WORKERS) test/scenario

# Long runs (a coffee task over a lossy link, ...): minutes each, so not in `make test`; then the
# wear soak (SOAK_TASKS coffee tasks, default 1000, on SOAK_ROBOTS robots: bench/wear_soak.py).
soak: setup
	@$(RUN) python -m pytest test -q -m soak
	@$(RUN) python bench/run.py wear_soak

# The recorded soak's first SPOT_ROBOTS robots again with the present code, beside the record
# (bench/wear_soak.py: spot_check), when a change touches what the soak measures.
SPOT_ROBOTS ?= 2
soak-spot: setup
	@$(RUN) python -c "import sys; sys.path.insert(0, 'bench'); import wear_soak; print(wear_soak.spot_check($(SPOT_ROBOTS)))"

# `make bench BENCH="backlash grip"` runs some of them; PLANT=honest runs the drivetrain, grip and
# slip benchmarks on a simulated unit that differs from its datasheet (results beside the ideal ones).
bench: setup
	@$(RUN) python bench/run.py $(BENCH) $(if $(PLANT),--plant $(PLANT))

clean:
	rm -rf build install log
