"""The read gate: the only way views and APIs reach patient data."""
