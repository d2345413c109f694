"""``python -m bench [name ...]``: run the benchmarks and rewrite bench/results.md."""

import os
import sys

from bench.run import main

# The services fail closed; the benchmarks run them on the local stack's credentials.
os.environ.setdefault("JOBLINE_ENV", "development")

sys.exit(main(sys.argv[1:]))
