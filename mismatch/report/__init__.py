"""Reporting: the summary page, its prose and figures, rendered only from the analysis tables."""
