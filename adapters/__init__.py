"""Thin platform adapters: translate platform events to core commands and back."""
