"""Qt widgets and models. They call controllers only, never the store."""

from pharmdesk.ui import signal_refs

signal_refs.install()  # before any signal is emitted (see signal_refs)
