"""The Import customers wizard (``wizard``) and its pages: the file (``file_page``), its
columns (``mapping_page``), the dry-run report (``report_page``, its problem rows in
``problems``), then the import and what was done (``run_pages``)."""

from pharmdesk.ui.import_wizard.wizard import ImportWizard

__all__ = ["ImportWizard"]
