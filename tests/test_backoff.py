"""The shared Backoff (spin/backoff.py): doubling, capped, reset, jitter."""

from __future__ import annotations

import random

from spin.backoff import Backoff


def test_backoff_doubles_up_to_the_cap_and_resets() -> None:
    backoff = Backoff(initial=0.1, cap=0.5)
    assert [backoff.next_delay() for _ in range(5)] == [0.1, 0.2, 0.4, 0.5, 0.5]
    backoff.reset()
    assert backoff.next_delay() == 0.1


def test_a_cap_below_the_first_delay_caps_it_too() -> None:
    backoff = Backoff(cap=0.0)
    assert [backoff.next_delay() for _ in range(3)] == [0.0, 0.0, 0.0]


def test_jitter_shortens_each_delay_by_up_to_its_fraction() -> None:
    backoff = Backoff(cap=100, jitter=0.25, rng=random.Random(7))
    for nominal in (0.1, 0.2, 0.4, 0.8, 1.6, 3.2):
        assert nominal * 0.75 <= backoff.next_delay() <= nominal


def test_jitter_keeps_clients_that_failed_together_apart() -> None:
    first, second = (Backoff(cap=100, jitter=0.25, rng=random.Random(seed)) for seed in (1, 2))
    assert [first.next_delay() for _ in range(4)] != [second.next_delay() for _ in range(4)]
