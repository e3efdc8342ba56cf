"""Importing a client's mentions from a file (JSON or CSV) when no connector brings them."""
