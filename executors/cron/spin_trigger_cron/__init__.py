"""`spin-trigger-cron`: the cron trigger of Spin's `spin-trigger-cron` plugin as an external
trigger executor, built only on the public shared trigger library (`spin.trigger`,
`spin.trigger.wasm`). An app written for the plugin runs unchanged.
"""

from spin_trigger_cron.executor import CronTrigger

__all__ = ["CronTrigger"]
