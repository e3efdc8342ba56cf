"""Data rights: an agency's or a client's data exported as one archive, an agency erased, and the audit log read."""
