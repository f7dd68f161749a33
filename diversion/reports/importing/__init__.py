"""Parsing and validating the import formats (docs/import-formats.md). No database here.

``csvfile.read_tables`` reads a file in chunks; ``columns.validate`` checks a chunk column by
column; ``rows`` holds the per-row rules, the reference the column checks agree with.
"""
