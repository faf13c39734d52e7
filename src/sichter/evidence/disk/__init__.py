"""Disk images: EWF (E01, split E01/E02...), raw and split raw (.001/.002...) media, their
partitions (DOS/MBR, GPT) and file systems (whatever the Sleuth Kit reads), deleted files
whose metadata remains, and optional JPEG/PNG carving from unallocated space.

``DiskImageReader`` plugs into the evidence registry like any archive reader, so files inside
an image flow through the same walk, and archives inside an image are opened too.
"""
