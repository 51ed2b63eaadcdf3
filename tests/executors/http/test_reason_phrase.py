"""Reason phrases on HTTP/1.1 status lines: the standard phrase, none for an unknown status,
and a phrase already given kept."""

from __future__ import annotations

import h11

from spin.executors.http.reason_phrase import with_reason


def test_standard_unknown_and_given_phrases() -> None:
    assert with_reason(h11.Response(status_code=418, headers=[])).reason == b"I'm a Teapot"
    assert with_reason(h11.Response(status_code=599, headers=[])).reason == b""
    given = h11.Response(status_code=200, headers=[("a", "b")], reason=b"Fine")
    assert with_reason(given) is given
    kept = with_reason(h11.Response(status_code=204, headers=[("x-a", "1")]))
    assert (kept.reason, list(kept.headers)) == (b"No Content", [(b"x-a", b"1")])
