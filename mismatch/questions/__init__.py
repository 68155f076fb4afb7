"""Question sets: where the questions come from (one registry entry per source) and how each
source becomes the pool, test and format splits."""
