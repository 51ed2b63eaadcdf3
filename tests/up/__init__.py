"""Tests of `spin up`: discovery, option routing, plugins, --exec."""
