"""One small function that many tests check, each taking a random few milliseconds."""
