"""PyInstaller's entry script: the one ``pharmdesk`` executable, window and commands.

``freeze_support()`` comes first, before anything heavy is imported: the demo builder's
"spawn" workers start this same executable, and here they turn into workers instead of
running the command line again.
"""

import multiprocessing

if __name__ == "__main__":
    # pharmdesk.exe on Windows is windowed and has no stdout/stderr until this gives it some.
    from pharmdesk.console import prepare_streams

    prepare_streams()
    multiprocessing.freeze_support()

    from pharmdesk.cli import main

    raise SystemExit(main())
