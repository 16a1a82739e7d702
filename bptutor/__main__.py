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
    code = main()
    # Everything is written (main flushed it): the process ends here, without the interpreter
    # freeing what it loaded and built object by object (20-30 ms after a 10^5-node derivation)
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:      # (None: closed before the run, `>&-`)
                stream.flush()
        except (OSError, ValueError):   # a pipe closed meanwhile: main has said what it could
            pass
    os._exit(code)


if __name__ == "__main__":
    sys.exit(entry())
