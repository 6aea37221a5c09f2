"""Sensing: ingest of phone and wearable data into the Parquet sensor store, consent per stream, feature
runs through the Django-free pipeline, and the daily features that care, rules and reports read.
"""
