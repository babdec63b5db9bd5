"""The plan enrollment wizard (``wizard``) and its five pages, one module each."""
