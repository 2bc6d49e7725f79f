"""The registry of models and datasets: references, names, manifests, metrics, aliases, lineage (pure)."""
