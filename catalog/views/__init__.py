"""Catalog pages, one module per area. Views are thin: look up through for_team, check, call a service, render."""
