"""Feed ingestion: guard, fetch, parse, normalise. See docs/MODULES.md for entry points."""
