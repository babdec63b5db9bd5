"""Render every screen to PNG files so anyone can look at them without a display.

    python -m tools.screenshots OUTDIR [--customers N] [--screen 1366x768] [--scale 1.25]
    python -m tools.screenshots OUTDIR --desks

``--screen`` gives the offscreen screen that size (and ``--scale`` sets QT_SCALE_FACTOR),
so each window is shown as it opens on that desk: sized by the screen-fit rule.
``--desks`` renders every screen once per desk the branches have (DESKS), each into its
own folder (1366x768, 1280x720-125).

Builds a small demo database in a temporary folder (nothing is left behind), then saves
the first-run setup pages, the sign-in, the main window with data, a search in progress,
a profile, and the lock screen; with PostgreSQL installed, also the branch server's
first-run page with its connection test, and the sign-in and main window on a server.
Runs offscreen unless a display platform is set. A developer tool: it lives beside the
package, not in it, and is not shipped.
"""
