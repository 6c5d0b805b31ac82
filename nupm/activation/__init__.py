"""Compiling an environment description (env.json) into per-shell activation modules."""
