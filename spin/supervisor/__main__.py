"""`python -m spin.supervisor FD`: the supervisor process `spin up` hands over to (handover.py)."""

import sys

from spin.supervisor.handover import main

main(sys.argv[1:])
