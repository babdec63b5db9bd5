"""Admin ▸ Staff accounts: the list, and the dialogs that add, reset, enable and change
the role of a person."""
