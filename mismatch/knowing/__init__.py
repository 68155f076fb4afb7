"""Knowing: whether each model knows each question (the one definition a study uses), SliCK
categories, probes, and checks of measured against true knowledge."""
