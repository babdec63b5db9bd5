"""What the table models share: column headers (``columns``)."""
