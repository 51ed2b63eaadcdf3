"""Tests of the HTTP executor."""
