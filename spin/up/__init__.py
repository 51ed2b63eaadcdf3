"""`spin up`: load the manifest, find one executor per trigger type, route the options and
run them (`--exec` replaces this process; otherwise the supervisor starts them).

- `command`: the click command and the steps in order
- `discovery`: where an executor for a trigger type is found (internal, plugin, PATH, entry point)
- `option_routing`: which trailing options go to which executor (from launch metadata)
- `supervisor_options`: the supervisor's options (their defaults live in `spin.supervisor`)
- `launch`, `executor_env`: the contract with an executor (its command, arguments, environment)
- `entry_point`: runs an executor installed as a Python entry point in a fresh interpreter
- `plugins`: `spin plugins install/list/uninstall` (plugins are one place discovery looks)
"""
