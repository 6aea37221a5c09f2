"""Clinician workspace: the patients of my teams and one patient's record."""
