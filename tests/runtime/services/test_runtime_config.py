"""The runtime config file: what it configures, and errors that name file, field and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from spin.errors import SpinError
from spin.runtime.services.key_value import StoreDefinition
from spin.runtime.services.runtime_config import load_runtime_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "runtime-config.toml"
    path.write_text(text)
    return path


def test_stores_databases_and_providers_are_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[key_value_store.cache]
type = "spin"
path = "data/cache.db"

[key_value_store.shared]
type = "redis"
url = "redis://127.0.0.1:6390"

[sqlite_database.reports]
type = "spin"
path = "reports.db"

[[variables_provider]]
type = "static"
values = { token = "abc" }

[[variables_provider]]
type = "vault"
url = "http://127.0.0.1:8200"
token = "root"
mount = "secret"
""",
    )
    config = load_runtime_config(path)
    assert config.key_value_stores == {
        "cache": StoreDefinition("spin", path=tmp_path / "data/cache.db"),
        "shared": StoreDefinition("redis", url="redis://127.0.0.1:6390"),
    }
    assert config.sqlite_databases == {"reports": tmp_path / "reports.db"}
    assert [p.type for p in config.variables_providers] == ["static", "vault"]


ERRORS = [
    ('[key_value_store.x]\ntype = "azure_cosmos"\n', "key_value_store.x.type", 'type = "spin"'),
    ('[key_value_store.x]\ntype = "redis"\n', "key_value_store.x.url", "Set `url"),
    ('[key_value_store.x]\ntype = "spin"\nurl = "x"\n', "key_value_store.x.url", "Remove it"),
    ('[sqlite_database.x]\ntype = "libsql"\n', "sqlite_database.x.type", 'type = "spin"'),
    ('[[variables_provider]]\ntype = "vault"\nurl = "u"\n', "variables_provider[0].token", "Set"),
    ('[[config_provider]]\ntype = "magic"\n', "config_provider[0].type", '"env", "static"'),
    ("key_value_stores = 1\n", "key_value_stores", "Remove it"),
    ("[key_value_store]\nx = 1\n", "key_value_store", "[key_value_store.<label>]"),
]


@pytest.mark.parametrize(("text", "field", "fix"), ERRORS)
def test_mistakes_name_the_file_the_field_and_the_fix(
    tmp_path: Path, text: str, field: str, fix: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SpinError) as failure:
        load_runtime_config(path)
    message = str(failure.value)
    assert str(path) in message and f"`{field}`" in message and fix in message


def test_invalid_toml_and_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SpinError, match="is not valid TOML"):
        load_runtime_config(write(tmp_path, "[key_value_store\n"))
    with pytest.raises(SpinError, match="Cannot read the runtime config file"):
        load_runtime_config(tmp_path / "absent.toml")


def test_tables_spin_has_and_this_runtime_ignores_are_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = load_runtime_config(write(tmp_path, '[llm_compute]\ntype = "spin"\n'))
    assert config.key_value_stores == {}
    assert "[llm_compute] is not used by this runtime" in caplog.text
