"""lines: a package whose tests check line numbers."""
