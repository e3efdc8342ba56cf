"""Rates over periods: engagement rate, follower growth and reach per post, with their formulas."""
