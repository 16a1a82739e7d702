# Tests import bptutor from this checkout (also from a git worktree beside an
# installed copy), never from whatever else is on sys.path.
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
