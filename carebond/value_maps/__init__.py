"""Value maps: laddering interviews, the summary implication matrix and hierarchical value maps."""
