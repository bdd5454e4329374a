"""YAML or JSON in, a frozen model out: loading, normalizing and checking API descriptions (no requests)."""
