"""Capacity planning for the hall: queueing formulas and simulation (pure Python; no Django import)."""
