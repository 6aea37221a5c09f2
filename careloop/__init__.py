"""Careloop: an open platform for measurement-based digital mental health care."""
