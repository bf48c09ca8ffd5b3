#!/usr/bin/env python3
"""Run the test suite: sets up the environment (Debian packages, .venv) on first use, then runs
pytest inside .venv. Extra arguments are passed to pytest (with no path among them it runs tests/, the
testpaths of pyproject.toml); pytest's exit code is this script's."""

import os
import sys

from _setup import ensure_environment

ensure_environment(__file__)

import pytest  # noqa: E402

os.chdir(os.path.dirname(os.path.abspath(__file__)))
sys.exit(pytest.main(sys.argv[1:]))
