"""Signals: what is measured from content — byte digests and perceptual hashes."""
