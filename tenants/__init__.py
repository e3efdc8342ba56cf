"""Tenancy and money: settings, the database and tenant context, tenants, members, API keys, audit."""
