import os
import sys

# tests import their small helpers (numpy_reference) by module name
sys.path.insert(0, os.path.dirname(__file__))
