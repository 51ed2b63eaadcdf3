"""Tests of the internal executors."""
