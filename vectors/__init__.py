"""Generation from a network config: the top-level RTL wrapper, memory images, vector bundles."""
