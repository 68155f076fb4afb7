"""Recipes: the fine-tuning sets built from the models' answers, one registry entry per kind."""
