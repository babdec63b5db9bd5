"""PharmDesk: the offline, encrypted customer desk for pharmacy branches."""

__version__ = "0.1.0"
