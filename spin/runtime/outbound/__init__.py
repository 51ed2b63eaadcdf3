"""A component's outbound networking (`client`: destination checks, self requests, the httpx
client), shared by every guest kind. The `allowed_outbound_hosts` rules it checks against are
in `spin.allowed_hosts`, which the manifest check uses too."""
