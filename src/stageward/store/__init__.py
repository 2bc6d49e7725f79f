"""Persistence: the database (SQLite or PostgreSQL, by URL) and blob stores (file or S3, by URL)."""
