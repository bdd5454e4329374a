"""Paginators: the base, dlt's types and the registry with auto-detection."""
