"""Settings that the project's conftest files compute at import time."""
