"""WASI for guests: preview 1 for core modules (`p1`) and the mounted `files` every guest kind
sees, confined to what the manifest mounts (`files`)."""
