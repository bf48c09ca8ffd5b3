#!/usr/bin/env python3
"""Run the renderer demo: sets up the environment (Debian packages, .venv) on first use, then runs
renderer.app.demo.main with this script's arguments inside .venv."""

import sys

from _setup import ensure_environment

ensure_environment(__file__)

from renderer.__main__ import run  # noqa: E402

sys.exit(run(sys.argv[1:], prog="python3 run_demo.py"))
