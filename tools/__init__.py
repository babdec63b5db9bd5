"""Developer tools that work on PharmDesk from outside the package (not shipped)."""
