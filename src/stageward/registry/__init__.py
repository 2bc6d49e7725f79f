"""The registry of models and datasets: references, names, manifests, metrics, alias history, lineage (pure)."""
