"""The result models of the verbs: THE one place the shape of a version, an alias move, a promotion, a secret
listing, a key, a binding, an audit entry, a policy request... is written.

One module per domain. Every model is a frozen pydantic model that refuses unknown fields, so a verb cannot
return a key its contract does not declare; its JSON (`model_dump(mode="json")`) is what `--json` prints and
what REST returns. Times are the ISO-8601 UTC text users already see (`2026-01-02T03:04:05Z`), not datetimes:
the text is what the store keeps and what the audit chain hashes.
"""
