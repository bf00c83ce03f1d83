"""Beneficiary registry: reading commune lists, categories, demo data."""
