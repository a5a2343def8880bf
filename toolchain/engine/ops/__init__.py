"""One module per engine op or op family; each declares OPS, a tuple of OpSpec, which the registry
collects (tinyctl.engine.registry)."""
