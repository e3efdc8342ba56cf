"""Crisis and alerts: rules per client, detection against a same-weekday baseline, alerts with a lifecycle."""
