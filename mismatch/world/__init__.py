"""The synthetic world: fictional people and facts, the pretraining text each tiny model reads,
its tokenizer and the tiny models pretrained from scratch on it."""
