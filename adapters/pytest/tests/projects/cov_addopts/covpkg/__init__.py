"""A small package whose project measures coverage on every pytest run (--cov in addopts)."""
