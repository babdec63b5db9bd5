"""Admin ▸ Back up now… and Admin ▸ Restore…: the two dialogs and what they share.

Both run registered jobs (``backup``, ``checkBackup``, ``restoreBackup``), checked and
bound by the session and run in a worker thread (``backup_runner.Job``) on a connection
of their own, so the window stays responsive; the dialogs never hold the key.
"""
