"""wasi:cli: environment, exit, stdin/stdout/stderr and the terminal interfaces.

Guests get the component's `environment`, no arguments, an empty stdin and no terminal;
stdout and stderr go to the call's captured output, which ends in the component's logs like
every other guest kind's.
"""

from __future__ import annotations

from spin.runtime.wasi.p2.host import Exit, Ok, WasiCall
from spin.runtime.wasi.p2.io import BytesInput, FdOutput, InputStream, OutputStream
from spin.runtime.wasi.p2.registry import Interface

environment = Interface("wasi:cli/environment")
exit_ = Interface("wasi:cli/exit")
stdin = Interface("wasi:cli/stdin")
stdout = Interface("wasi:cli/stdout")
stderr = Interface("wasi:cli/stderr")
terminal_input = Interface("wasi:cli/terminal-input")
terminal_output = Interface("wasi:cli/terminal-output")
terminal_stdin = Interface("wasi:cli/terminal-stdin")
terminal_stdout = Interface("wasi:cli/terminal-stdout")
terminal_stderr = Interface("wasi:cli/terminal-stderr")


@environment.func("get-environment")
def get_environment(call: WasiCall) -> list[tuple[str, str]]:
    return call.env


@environment.func("get-arguments")
def get_arguments(call: WasiCall) -> list[str]:
    return []


@environment.func("initial-cwd")
def initial_cwd(call: WasiCall) -> str | None:
    return None


@exit_.func("exit")
def exit_call(call: WasiCall, status: object) -> None:
    raise Exit(isinstance(status, Ok))


@exit_.func("exit-with-code")
def exit_with_code(call: WasiCall, code: int) -> None:
    raise Exit(code == 0)


@stdin.func("get-stdin")
def get_stdin(call: WasiCall) -> InputStream:
    return BytesInput()


@stdout.func("get-stdout")
def get_stdout(call: WasiCall) -> OutputStream:
    return FdOutput(call.stdout_fd)


@stderr.func("get-stderr")
def get_stderr(call: WasiCall) -> OutputStream:
    return FdOutput(call.stderr_fd)


def _no_terminal(call: WasiCall) -> None:
    return None


terminal_stdin.func("get-terminal-stdin")(_no_terminal)
terminal_stdout.func("get-terminal-stdout")(_no_terminal)
terminal_stderr.func("get-terminal-stderr")(_no_terminal)

INTERFACES = (
    environment,
    exit_,
    stdin,
    stdout,
    stderr,
    terminal_input,
    terminal_output,
    terminal_stdin,
    terminal_stdout,
    terminal_stderr,
)
