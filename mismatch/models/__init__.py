"""Models: where each comes from (one registry entry per source), fetched or converted once, and
loaded with optional LoRA adapters."""
