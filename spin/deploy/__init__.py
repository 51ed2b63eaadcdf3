"""Deployment exports of an app: plain Kubernetes objects (`spin kube scaffold`), a systemd unit
(`spin export systemd`), both derived from the app's locked form."""
