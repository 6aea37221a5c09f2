"""Measurement-based care: instruments, scoring, schedules, check-ins and outcomes."""
