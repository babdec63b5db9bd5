"""A customer's profile dialog: allergies first, then identity, stats, plans, orders,
notes, consent (``dialog``), built from its sections (``header``, ``plans``) and printed
from ``document``."""

from pharmdesk.ui.profile_dialog.dialog import ProfileDialog

__all__ = ["ProfileDialog"]
