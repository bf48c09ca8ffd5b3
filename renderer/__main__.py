"""`python -m renderer`: the demo, with the same options as `python3 run_demo.py`, from any folder."""

import sys

from .app.demo import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
