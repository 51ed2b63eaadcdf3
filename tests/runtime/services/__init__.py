"""Tests of the host-interface services (key-value, SQLite, variables, runtime config)."""
