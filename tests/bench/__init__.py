"""PharmDesk's performance benchmark (issue 9): run it as ``python -m tests.bench``.

Not collected by pytest (``norecursedirs`` skips ``bench``): it measures, it does not
pass or fail. See ``python -m tests.bench --help`` and docs/dev/performance.md.
"""
