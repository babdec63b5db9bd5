"""The Segments tab: the panel (``panel``) and its segment and parameter chooser
(``chooser``)."""

from pharmdesk.ui.segments_panel.panel import SegmentsPanel

__all__ = ["SegmentsPanel"]
