"""Digest building (stories -> ordered items) and rendering (text, Markdown, JSON)."""
