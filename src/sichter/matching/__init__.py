"""Matching case contents against hash sets: exact digests, PDQ, dihedral PDQ, robust stages."""
