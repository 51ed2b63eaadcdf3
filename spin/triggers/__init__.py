"""Internal trigger executors: `spin trigger http`, `spin trigger redis`."""
