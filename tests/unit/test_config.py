from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from leadflow.config import Settings, load_settings, render_default_config
from leadflow.errors import ConfigError


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("LEADFLOW_"):
            monkeypatch.delenv(name)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "leadflow.toml"
    path.write_text(text)
    return path


def test_defaults_without_a_file(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "missing.toml")
    assert settings.database_url == "sqlite:///leadflow.db"
    assert settings.zoho.api_version == "v8"
    assert settings.zoho.concurrency == 10


def test_file_values_are_read(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, '[zoho]\ndata_centre = "eu"\nconcurrency = 4\n'))
    assert settings.zoho.data_centre == "eu"
    assert settings.zoho.concurrency == 4


def test_environment_wins_over_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, '[zoho]\nclient_id = "from-file"\n')
    monkeypatch.setenv("LEADFLOW_ZOHO_CLIENT_ID", "from-env")
    monkeypatch.setenv("LEADFLOW_DATABASE_URL", "sqlite:///other.db")
    settings = load_settings(path)
    assert settings.zoho.client_id == "from-env"
    assert settings.database_url == "sqlite:///other.db"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bogus = 1\n", "bogus: unknown key"),
        ("[zoho]\nnope = 1\n", "[zoho] nope: unknown key"),
        ('[zoho]\nconcurrency = "many"\n', "[zoho] concurrency"),
        ('[zoho]\ndata_centre = "mars"\n', "'mars'"),
        ('database_url = "mysql://x/y"\n', "unsupported database 'mysql'"),
        ('database_url = "not a url"\n', "not a database URL"),
        ("x = [\n", "not valid TOML"),
    ],
)
def test_bad_values_name_file_key_and_reason(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    message = str(info.value)
    assert str(path) in message
    assert expected in message
    assert "\n" not in message


def test_bad_environment_value_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADFLOW_ZOHO_CONCURRENCY", "0")
    with pytest.raises(ConfigError, match=r"environment: \[zoho\] concurrency"):
        load_settings(tmp_path / "missing.toml")


def test_secrets_never_show_in_repr_or_str(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADFLOW_ZOHO_CLIENT_SECRET", "s3cr3t-client")
    monkeypatch.setenv("LEADFLOW_ZOHO_REFRESH_TOKEN", "1000.refresh.s3cr3t")
    monkeypatch.setenv("LEADFLOW_GHL_TOKEN", "pit-s3cr3t-key")
    monkeypatch.setenv("LEADFLOW_SECRET_KEY", "fernet-s3cr3t")
    settings = load_settings(tmp_path / "missing.toml")
    for text in (repr(settings), str(settings), settings.model_dump_json()):
        assert "s3cr3t" not in text
    assert settings.zoho.refresh_token is not None
    assert settings.zoho.refresh_token.get_secret_value() == "1000.refresh.s3cr3t"


def test_secret_values_are_not_echoed_in_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "[zoho]\nclient_secret = 12345678\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert "12345678" not in str(info.value)


def test_default_config_lists_every_setting_and_loads(tmp_path: Path) -> None:
    text = render_default_config()
    parsed = tomllib.loads(text)
    for name, info in Settings.model_fields.items():
        assert name in text, name
        sub = info.annotation
        if isinstance(sub, type) and hasattr(sub, "model_fields"):
            for key, field in sub.model_fields.items():
                assert (field.alias or key) in text, f"{name}.{key}"
    settings = load_settings(write(tmp_path, text))
    assert settings.model_dump() == load_settings(tmp_path / "missing.toml").model_dump()
    assert parsed["zoho"]["api_version"] == "v8"


def test_sync_has_shared_keys_and_one_table_per_target(tmp_path: Path) -> None:
    text = '[sync]\nmax_attempts = 3\n[sync.zoho]\nnew_people_module = "Contacts"\n'
    text += '[sync.ghl]\nfill_if_empty = ["phone"]\n'
    settings = load_settings(write(tmp_path, text))
    assert settings.sync.max_attempts == 3
    assert settings.sync.zoho.new_people_module == "Contacts"
    assert settings.sync.ghl.fill_if_empty == ["phone"]
    assert settings.sync.ghl.field_map()["email"] == "email"
    assert settings.sync.ghl.external_id_field == "contact.leadflow_id"
    rendered = tomllib.loads(render_default_config())
    assert rendered["sync"]["zoho"]["leads"] == settings.sync.zoho.leads
    assert "leads" not in rendered["sync"]
    assert rendered["sync"]["ghl"]["external_id_field"] == "contact.leadflow_id"


def test_flat_sync_keys_of_the_first_layout_are_read_as_zoho_keys(tmp_path: Path) -> None:
    text = '[sync]\nnew_people_module = "Contacts"\nleads = ["Last_Name = last_name"]\nmax_attempts = 2\n'
    settings = load_settings(write(tmp_path, text))
    assert settings.sync.zoho.new_people_module == "Contacts"
    assert settings.sync.zoho.field_map("Leads") == {"Last_Name": "last_name"}
    assert settings.sync.max_attempts == 2


def test_sync_environment_variables_old_and_new(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, '[sync.zoho]\nnew_people_module = "Leads"\n')
    monkeypatch.setenv("LEADFLOW_SYNC_NEW_PEOPLE_MODULE", "Contacts")
    monkeypatch.setenv("LEADFLOW_SYNC_ZOHO_FILL_IF_EMPTY", '["Phone"]')
    monkeypatch.setenv("LEADFLOW_SYNC_GHL_SYNC_NULLS", "true")
    monkeypatch.setenv("LEADFLOW_SYNC_MAX_ATTEMPTS", "4")
    settings = load_settings(path)
    assert settings.sync.zoho.new_people_module == "Contacts"
    assert settings.sync.zoho.fill_if_empty == ["Phone"]
    assert settings.sync.ghl.sync_nulls is True
    assert settings.sync.max_attempts == 4


def test_unknown_sync_key_is_named_in_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, "[sync.zoho]\nbogus = 1\n")
    with pytest.raises(ConfigError, match=r"\[sync\.zoho\] bogus: unknown key"):
        load_settings(path)
