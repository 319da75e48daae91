"""Pieces of the benchmark harness (see bench/README.md). Single-threaded use
unless a function says otherwise."""
