"""Figures drawn from experiment results (matplotlib, no torch): see draw.py for the entry point."""
