"""Socle: a local-first, frugal and sovereign document assistant for public institutions."""

import os

# The embedding engine (and llama.cpp) use OpenMP. Its default "active" waiting makes idle
# threads spin: as soon as another process or request shares the two cores of an office
# computer, a 15 ms query embedding took 235–995 ms here, against 28 ms with passive
# waiting (benchmarks/README.md). Must be set before the OpenMP runtime loads; an
# operator's own value wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
