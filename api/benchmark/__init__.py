"""Benchmarks: a client's own accounts against its competitors, share of voice, and its rank among peers."""
