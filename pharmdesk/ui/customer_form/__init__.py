"""The new and edit customer form: its fields and checks (``fields``), saving (``form``)."""
