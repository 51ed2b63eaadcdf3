"""`python -m spin.supervisor FD`: the supervisor process `spin up` hands over to (handover.py).

The orphan guard is forked first, while this process holds little (see orphan_guard.py).
"""

import sys

from spin.supervisor.orphan_guard import OrphanGuard

guard = OrphanGuard.start()

from spin.supervisor.handover import main  # noqa: E402 (after the fork, on purpose)

main(sys.argv[1:], guard)
