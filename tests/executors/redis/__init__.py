"""Tests of the Redis executor."""
