"""The audit log viewer (admins): the window (``window``), its keyset-paged model
(``model``), filters (``filters``), the selected entry in full (``detail``), what
"Verify chain" and the count say (``messages``) and the CSV export (``export``)."""

from pharmdesk.ui.audit_view.window import AuditLogWindow, show_audit_log

__all__ = ["AuditLogWindow", "show_audit_log"]
