"""`python -m bptutor` and the `bptutor` command (entry()).

Ctrl-C at any moment ends the run with exit 130 and no traceback: from the
first line here it ends the process at once, while bptutor loads and while it
derives (nothing half-printed is worth keeping). Only the parts that have
something to keep -- the REPL going back to its prompt, the grades printed so
far -- let it raise KeyboardInterrupt instead (app.console.interruptible)."""
import os
import sys

import _signal      # not `signal`: that imports enum first, and a Ctrl-C meanwhile printed a traceback


def _quit(signum, frame):
    os._exit(130)


def entry() -> int:
    _signal.signal(_signal.SIGINT, _quit)
    from .app.cli import main
    return main()


if __name__ == "__main__":
    sys.exit(entry())
