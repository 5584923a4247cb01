"""Summarisers: story clustering, the extractive summariser, the grounded LLM summariser."""
