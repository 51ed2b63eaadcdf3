"""Tests of the supervisor: real child processes and signals."""
