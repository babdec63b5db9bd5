"""Branch server mode: what runs on, or points desks at, the branch server."""
