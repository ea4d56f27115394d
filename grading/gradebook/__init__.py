"""Gradebook: nbgrader's side (the plugin, the single recorder, autograde, feedback pages)."""
