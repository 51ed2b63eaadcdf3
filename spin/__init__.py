"""Spin's trigger-executor architecture (SIP 003) in Python.

`spin up` loads an application manifest, finds one trigger executor per trigger type and runs
them: by exec'ing the only one (`--exec`) or by supervising one child process per type.
"""

__version__ = "0.1.0"
