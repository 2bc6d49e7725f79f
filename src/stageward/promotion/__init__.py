"""Promotion between environments: edges, gates and the plan of what a promotion does (pure)."""
