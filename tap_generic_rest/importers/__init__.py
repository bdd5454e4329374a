"""Importers: other formats' API descriptions written as ours."""
