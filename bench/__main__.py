"""``python -m bench [name ...]``: run the benchmarks and rewrite bench/results.md."""

import sys

from bench.run import main

sys.exit(main(sys.argv[1:]))
