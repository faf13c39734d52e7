"""Hash sets: reading known-material files (VICS, NSRL, hash lists, PDQ lists) into the store."""
