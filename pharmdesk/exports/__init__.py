"""Files PharmDesk writes for people to open elsewhere (spreadsheets)."""
