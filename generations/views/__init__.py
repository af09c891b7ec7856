"""Generation pages and their htmx fragments: generate, progress, review, client approval, output files."""
