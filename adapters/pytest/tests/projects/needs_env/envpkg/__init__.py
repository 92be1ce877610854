"""Settings read from the environment: the tests pass only with GREMLIN_DEMO_MODE=on."""
