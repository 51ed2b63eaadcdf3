"""Tests of the Wasm runtime: guests of each kind, the worker pool."""
