"""Airbyte declarative manifests (``manifest.yaml``) imported as our descriptions; see docs/airbyte.md."""
