"""Batches and clips painted on a Ray cluster."""
