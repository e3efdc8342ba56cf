"""Objectives: a client's targets on a metric over a period, with progress and a forecast at the current pace."""
