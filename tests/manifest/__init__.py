"""Tests of the manifest layer and the locked app."""
