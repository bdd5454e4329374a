"""Built-in API descriptions (api.yaml + JSON Schemas), shipped as package data."""
