"""Presence: how often and how regularly an account posts, whom it reaches, and when its posts do best."""
