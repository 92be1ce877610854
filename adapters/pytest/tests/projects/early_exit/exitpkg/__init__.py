"""Code that ends the process: under some gremlins it does so while the tests run."""
