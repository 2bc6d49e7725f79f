"""Webhooks per environment (SPEC §9): where that environment's events are sent, signed per Standard Webhooks.

Each webhook has its own signing secret (`whsec_` + base64 of 24 random bytes), shown once when it is added and
kept sealed with a data key of its environment. Deliveries are made by the server (server/deliverer.py) from
the outbox; `webhooks.deliveries` is their log.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlsplit

from stageward.errors import BadInput, NotFound
from stageward.secrets.envelope import decrypt_value, encrypt_value
from stageward.service.catalogue import verb
from stageward.service.keyring import load_keyring
from stageward.service.results.events import Delivery, Webhook, WebhookAdded, WebhookRemoved
from stageward.service.unit import Unit
from stageward.store.db import events_repo

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24


def _check_url(url: str) -> str:
    """URL, when it is http(s) with a host; a link-local address (a cloud's instance metadata service, where
    the server's own credentials live) is refused, so a webhook cannot make the server fetch them."""
    import ipaddress

    if len(url) > 2048:
        raise BadInput("--url: expected at most 2048 characters")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"--url {url[:200]!r}: expected an http:// or https:// URL with a host")
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        address = None
    if (address is not None and address.is_link_local) or parts.hostname.lower() == "metadata.google.internal":
        raise BadInput(f"--url {url[:200]!r}: a link-local or metadata address cannot receive webhooks")
    return url


def _secret_name(webhook_id: int) -> str:
    return f"webhook:{webhook_id}"


def open_secret(keyring: Any, row: dict[str, Any]) -> str:
    """The signing secret of webhook ROW (the server's deliverer signs with it)."""
    data_key = keyring.unwrap_data_key(row["environment"], row["wrapped_key"])
    secret: str = decrypt_value(
        data_key,
        row["sealed_secret"],
        environment=row["environment"],
        team=None,
        name=_secret_name(row["webhook_id"] if "webhook_id" in row else row["id"]),
        version=1,
    )
    return secret


@verb("webhooks.add", permission="access.manage", write=True, http=("POST", "/envs/{env}/webhooks"))
def add(unit: Unit, *, env: str, url: str) -> WebhookAdded:
    """Send ENV's events to URL, signed with a new secret (shown once)."""
    _check_url(url)
    keyring = load_keyring(unit.ctx, unit.conn, create=True)
    assert keyring is not None
    secret = SECRET_PREFIX + base64.b64encode(unit.ctx.token_bytes(SECRET_BYTES)).decode("ascii")
    data_key, wrapped = keyring.new_data_key(env)
    # The id is known only after the insert, and the secret is sealed to it: insert a placeholder, then seal.
    webhook_id = events_repo.add_webhook(
        unit.conn, environment=env, url=url, wrapped_key=wrapped, sealed_secret=b"", at=unit.now(), by=unit.principal
    )
    sealed = encrypt_value(data_key, secret, environment=env, team=None, name=_secret_name(webhook_id), version=1)
    events_repo.seal_secret(unit.conn, webhook_id, sealed)
    unit.audit(environment=env, target=str(webhook_id), details={"url": url})
    return WebhookAdded(id=webhook_id, environment=env, url=url, secret=secret)


@verb("webhooks.list", http=("GET", "/webhooks"))
def list_webhooks(unit: Unit, *, env: str | None = None) -> list[Webhook]:
    """Webhooks of ENV, or of every environment where the caller manages access, with their pending deliveries."""
    if env is not None:
        unit.require("access.manage", env)
        environments = [env]
    else:
        environments = [e for e in unit.ctx.environments if unit.can("access.manage", e)]
    return [Webhook.model_validate(row) for row in events_repo.list_webhooks(unit.conn, environments)]


def _webhook(unit: Unit, webhook_id: int) -> dict[str, Any]:
    row = events_repo.get_webhook(unit.conn, webhook_id)
    if row is None or row["removed_at"] is not None:
        raise NotFound(f"no webhook {webhook_id}", hint="stageward webhooks list shows them")
    unit.require("access.manage", row["environment"])
    return row


@verb("webhooks.remove", write=True, http=("DELETE", "/webhooks/{id}"))
def remove(unit: Unit, *, id: int) -> WebhookRemoved:
    """Stop sending events to webhook ID; its pending deliveries are dropped."""
    row = _webhook(unit, id)
    events_repo.remove_webhook(unit.conn, id, at=unit.now(), by=unit.principal)
    unit.audit(environment=row["environment"], target=str(id), details={"url": row["url"]})
    return WebhookRemoved(id=id, environment=row["environment"], url=row["url"], removed_at=unit.now())


@verb("webhooks.deliveries", http=("GET", "/webhooks/{id}/deliveries"))
def deliveries(unit: Unit, *, id: int, limit: int = 50) -> list[Delivery]:
    """The delivery log of webhook ID, newest first: event, state, attempts, last status or error."""
    _webhook(unit, id)
    return [Delivery.model_validate(row) for row in events_repo.deliveries(unit.conn, id, max(1, min(limit, 1000)))]
