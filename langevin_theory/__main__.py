"""``python -m langevin_theory`` = the ``langevin-theory`` command."""
import sys

from .cli import main

sys.exit(main())
