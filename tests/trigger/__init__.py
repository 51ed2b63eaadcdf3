"""Tests of the shared trigger library (`spin.trigger`)."""
