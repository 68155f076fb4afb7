"""The study configuration, one job a module: layers, schema, checks, settings, sweeps, sizes and
code digests. ``mismatch.configuration`` gathers them for the rules (``cfg``) and tools."""
