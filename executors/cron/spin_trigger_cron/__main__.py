"""The `spin-trigger-cron` program, which `spin up` starts for an app's cron triggers."""

from spin.trigger import main as run_executor
from spin_trigger_cron.executor import CronTrigger


def main() -> None:
    run_executor(CronTrigger)


if __name__ == "__main__":
    main()
