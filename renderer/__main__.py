"""`python -m renderer`: the demo, with the same options as `python3 run_demo.py`, from any folder. `run()` is
the command line's start for both."""

import sys
from pathlib import Path

from .errors import plain_warnings
from .interrupts import deferred


def run(argv: list[str], prog: str) -> int:
    """Import the demo and run it; Ctrl-C while the framework's modules load ends here with one line."""
    plain_warnings()
    try:
        with deferred():  # Ctrl-C inside a C extension's initialisation would become an ImportError
            from .app.demo import main
    except KeyboardInterrupt:  # while numpy, the Vulkan bindings... load: nothing was started yet
        print("interrupted; shutting down", file=sys.stderr)
        return 0
    return main(argv, prog=prog)


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:], prog=f"{Path(sys.executable).name} -m renderer"))
