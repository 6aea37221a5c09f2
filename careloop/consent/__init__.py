"""Consent: versioned documents, grants per purpose × data stream, withdrawal."""
