import os
import sys

# tests import their small helpers (numpy_reference) by module name
sys.path.insert(0, os.path.dirname(__file__))

# POT imports torch for its backends unless told not to (seconds of start-up per process);
# the package uses POT's NumPy backend only.
os.environ.setdefault("POT_BACKEND_DISABLE_PYTORCH", "1")
