"""Customer operations, one module per job: ``search`` (find), ``create`` (register),
``profile`` (view), ``update``, ``marketing_consent``, ``archive`` and ``export``; the
shared pieces are ``lookup`` (one customer by id), ``labels`` (allergy and condition
lists) and ``rules`` (field and duplicate rules). Importing a module registers its
operations (``controllers/api.py`` imports them all); this package itself imports
nothing, so the modules that build on ``lookup`` load without a cycle."""
