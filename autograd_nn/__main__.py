"""``python -m autograd_nn``: the same command line as ``autograd-nn``."""

import sys

from .cli import main

sys.exit(main())
