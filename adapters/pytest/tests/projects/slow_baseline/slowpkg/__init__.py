"""A tiny package whose suite takes a few seconds (one slow test): a run on it lasts long enough
for a second run to start meanwhile."""
