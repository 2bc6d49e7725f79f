"""The use cases: one function per verb. Every permission check and audit append happens here."""
