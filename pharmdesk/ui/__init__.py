"""Qt widgets and models. They call controllers only, never the store."""
