"""ROI: the client's ledger of costs and values, earned media value, and ROI / ROAS over a window."""
