"""Module-level state that one test creates and later tests rely on."""
