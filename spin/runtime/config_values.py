"""A component's configuration values (`[component.config]` / `variables`), as guests ask
for them through `spin-config::get-config` (Spin 1.x) or the variables interfaces."""

from __future__ import annotations

from collections.abc import Mapping

from spin.errors import SpinError
from spin.runtime.services.variables import VariableError, Variables
from spin.variables import TEMPLATE


class UnknownKey(Exception):
    """The component has no configuration key of that name."""


class ConfigValueError(SpinError):
    """A key's value cannot be resolved: `kind` is "undefined" (no provider has a variable it
    needs) or "provider" (a provider failed), as the variables interfaces tell guests."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


class ComponentConfig:
    """The component's `config` templates, resolved on demand through the app's variables
    (their providers: runtime config, environment, manifest defaults)."""

    def __init__(
        self, component_id: str, templates: Mapping[str, str], variables: Variables
    ) -> None:
        self.component_id = component_id
        self._templates = dict(templates)
        self._variables = variables

    def names(self) -> list[str]:
        return sorted(self._templates)

    def get(self, key: str) -> str:
        """The value of `key`; raises `UnknownKey`, or `ConfigValueError` (a SpinError) when a
        variable has no value."""
        template = self._templates.get(key)
        if template is None:
            raise UnknownKey(key)
        return self.render(template, f"component {self.component_id!r} config {key!r}")

    def render(self, template: str, what: str) -> str:
        """Resolve the `{{ variable }}` templates in `template` (`what` names it in errors)."""
        try:
            return TEMPLATE.sub(lambda match: self._variables.get(match.group(1)), template)
        except VariableError as err:
            raise ConfigValueError(f"In {what}: {err.message}", err.kind) from None
