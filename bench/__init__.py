"""Jobline benchmarks: ``make bench`` runs every module listed in ``bench.run``.

Each benchmark module exposes ``run() -> BenchResult``: flat name→number figures (merged
into ``bench/results.json``) and a markdown section (kept in ``bench/sections/``), from
which ``bench/results.md`` is regenerated on every run.
"""
