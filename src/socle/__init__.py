"""Socle: a local-first, frugal and sovereign document assistant for public institutions."""

import os

# The embedding engine (and llama.cpp) use OpenMP. Its default "active" waiting makes idle
# threads spin: as soon as another process or request shares the two cores of an office
# computer, a 15 ms query embedding took 235–995 ms here, against 28 ms with passive
# waiting (benchmarks/README.md). Must be set before the OpenMP runtime loads; an
# operator's own value wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# Dense search is one matrix-vector product, bound by memory bandwidth: BLAS threads do not
# speed it up on 2 cores but spin and slow the next query embedding (100k chunks: hybrid
# p50 110 ms with default threads vs 67 ms with one, under load; benchmarks/README.md).
# Read when numpy loads, hence here.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
