"""The generated Zoho channel token in the store: encrypted with LEADFLOW_SECRET_KEY, a plain one (no key then,
or an older version) still read and written back encrypted, an unreadable one a loud error — on SQLite and
PostgreSQL."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine

from leadflow.errors import ConfigError, StoreError
from leadflow.store import kv, open_store
from leadflow.store.secrets import SecretBox
from leadflow.tracking.channel_tokens import ENCRYPTED, TOKEN_KEY, channel_token, stored_channel_token

CHANNEL = "1000000068001"
KEY = TOKEN_KEY.format(channel_id=CHANNEL)


@pytest.fixture
def engine(database_url: str) -> Engine:
    return open_store(database_url)


@pytest.fixture
def box() -> SecretBox:
    return SecretBox(Fernet.generate_key().decode())


def _kept(engine: Engine) -> object:
    with engine.connect() as connection:
        return kv.get_value(connection, key=KEY)


def _keep(engine: Engine, value: object) -> None:
    with engine.begin() as connection:
        kv.set_value(connection, key=KEY, value=value)


def test_a_generated_token_is_kept_encrypted_and_read_back(engine: Engine, box: SecretBox) -> None:
    token = channel_token(engine, CHANNEL, None, box)
    assert len(token) >= 24
    kept = _kept(engine)
    assert isinstance(kept, dict)
    assert token not in str(kept)
    assert box.decrypt(kept[ENCRYPTED]) == token
    assert channel_token(engine, CHANNEL, None, box) == token  # every process and restart: the same token
    assert stored_channel_token(engine, CHANNEL, box) == token  # what the webhook intake checks against


def test_a_token_kept_in_plain_text_is_still_read_and_written_back_encrypted(engine: Engine, box: SecretBox) -> None:
    _keep(engine, "plain-token-from-before")
    assert stored_channel_token(engine, CHANNEL, None) == "plain-token-from-before"
    assert _kept(engine) == "plain-token-from-before"  # no key: nothing to encrypt with
    assert channel_token(engine, CHANNEL, None, box) == "plain-token-from-before"
    kept = _kept(engine)
    assert isinstance(kept, dict)
    assert box.decrypt(kept[ENCRYPTED]) == "plain-token-from-before"
    assert stored_channel_token(engine, CHANNEL, box) == "plain-token-from-before"


def test_without_a_key_the_token_is_kept_as_the_oauth_tokens_are(engine: Engine) -> None:
    token = channel_token(engine, CHANNEL, None)
    assert _kept(engine) == token
    assert stored_channel_token(engine, CHANNEL) == token


def test_a_configured_token_wins_and_nothing_is_stored(engine: Engine, box: SecretBox) -> None:
    assert channel_token(engine, CHANNEL, "configured", box) == "configured"
    assert _kept(engine) is None
    assert stored_channel_token(engine, CHANNEL, box) is None


def test_an_encrypted_token_without_its_key_is_a_loud_error(engine: Engine, box: SecretBox) -> None:
    token = channel_token(engine, CHANNEL, None, box)
    with pytest.raises(ConfigError, match="is encrypted: set LEADFLOW_SECRET_KEY"):
        stored_channel_token(engine, CHANNEL, None)
    other = SecretBox(Fernet.generate_key().decode())
    with pytest.raises(ConfigError, match=r"cannot be decrypted with LEADFLOW_SECRET_KEY.*zoho_channel_token"):
        channel_token(engine, CHANNEL, None, other)
    assert stored_channel_token(engine, CHANNEL, box) == token  # nothing was replaced


def test_an_unreadable_stored_value_is_a_loud_error(engine: Engine, box: SecretBox) -> None:
    _keep(engine, {"something": "else"})
    with pytest.raises(StoreError, match="unreadable"):
        stored_channel_token(engine, CHANNEL, box)
