"""The synthetic demo organisation, generated deterministically from a seed."""
