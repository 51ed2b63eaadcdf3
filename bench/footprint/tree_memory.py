"""PSS as if the tree ran alone: each resident page's cost split among the tree's processes
that map it, not among every process of the machine.

The kernel's PSS splits a shared page among all its mappers, so a tree's PSS drops when
unrelated processes map the same files: on the shared development machine, other checkouts'
guest workers running from the same virtualenv took ~5 MB off each of main's workers (its
libwasmtime and libpython pages), and a tree run from a virtualenv nobody else used looked
bigger for it. Which physical page backs each resident virtual page is in
/proc/PID/pagemap (readable with CAP_SYS_ADMIN; None without it).
"""

from __future__ import annotations

import struct
from collections import Counter

PAGE = 4096
_PRESENT = 1 << 63
_FRAME = (1 << 55) - 1
_ENTRY = struct.Struct("<Q")


def resident_frames(pid: int) -> list[int] | None:
    """The physical frame of every resident page of `pid`; None if frames are hidden."""
    ranges = []
    with open(f"/proc/{pid}/smaps") as smaps:
        start = end = 0
        for line in smaps:
            fields = line.split()
            if "-" in fields[0] and not fields[0].endswith(":"):
                start, end = (int(bound, 16) for bound in fields[0].split("-"))
            elif fields[0] == "Rss:" and fields[1] != "0":
                ranges.append((start, end))
    frames = []
    with open(f"/proc/{pid}/pagemap", "rb") as pagemap:
        for start, end in ranges:
            pagemap.seek(start // PAGE * _ENTRY.size)
            data = pagemap.read((end - start) // PAGE * _ENTRY.size)
            for (entry,) in _ENTRY.iter_unpack(data):
                if entry & _PRESENT:
                    frames.append(entry & _FRAME)
    if frames and not any(frames):
        return None
    return frames


def pss_within(pids: list[int]) -> dict[int, float] | None:
    """Each process's PSS in bytes, sharing counted among `pids` only; None without frames."""
    frames = {}
    for pid in pids:
        found = resident_frames(pid)
        if found is None:
            return None
        frames[pid] = found
    mappers = Counter(frame for found in frames.values() for frame in set(found))
    return {pid: sum(PAGE / mappers[f] for f in set(found)) for pid, found in frames.items()}
