"""The tamper-evident audit trail: hash-chained entries, verification and export."""
