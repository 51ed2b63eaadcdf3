"""The `spin-trigger-timer` program, which `spin up` starts for an app's timer triggers."""

from spin.trigger import main as run_executor
from spin_trigger_timer.executor import TimerTrigger


def main() -> None:
    run_executor(TimerTrigger)


if __name__ == "__main__":
    main()
