"""Outgoing webhooks: endpoints a tenant registers, events published to them, signed deliveries with retries."""
