"""Secrets: envelope encryption, names and values, durations, rotation generators, and output masking.

Pure domain code: no store, no service, no CLI. The service layer (`service/secrets.py`,
`service/keys.py`) decides who may do what and keeps the rows.
"""
