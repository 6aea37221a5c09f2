"""Careloop's sensor pipeline: adapters that turn raw exports into typed Arrow tables, and pure feature
functions from tables to tables (one function per output table) that run unchanged on Polars or on Spark.

This package never imports Django (principle 5 of the design); the `sensing` app calls into it.
"""
