"""``pharmdesk server certs`` on the branch server PC; ``pharmdesk server join`` at a desk.

certs: the branch CA (made once, kept) and the server's certificate for the names desks
dial, put into the PostgreSQL data folder when ``--data-dir`` is given; prints the CA's
fingerprint, which the IT person reads out at each desk.
join: this desk keeps the branch CA once its fingerprint matches, then dials the server
with ``sslmode=verify-full`` and says whether the secure connection works
(``controllers/server_join.py``, shared with the first-run screen).
"""

from __future__ import annotations

from pathlib import Path

from pharmdesk.cli.commands.server_import import import_file
from pharmdesk.cli.context import EXIT_OK, EXIT_REFUSED, Context
from pharmdesk.controllers import server_join
from pharmdesk.errors import validation
from pharmdesk.paths import is_server_url, machine_data_dir
from pharmdesk.store import tls

RELOAD = (
    "Reload PostgreSQL to use them (pg_ctl reload -D DATA_DIR, or restart the PostgreSQL "
    "service), then join each desk: pharmdesk server join --db URL --ca {ca} "
    "--fingerprint {fingerprint}"
)


def _certs(ctx: Context) -> int:
    folder = Path(ctx.args.folder) if ctx.args.folder else machine_data_dir() / "branch-ca"
    certs = tls.make_certificates(folder, ctx.args.host or [], ctx.args.branch_name or "")
    written: list[str] = []
    if ctx.args.data_dir:
        written = [str(p) for p in tls.apply_to_server(certs, Path(ctx.args.data_dir))]
    ctx.emit(
        {
            "success": True,
            "caFingerprint": certs.fingerprint,
            "caCertificate": str(certs.ca_cert),
            "newCa": certs.new_ca,
            "hosts": list(certs.hosts),
            "serverCertificate": str(certs.server_cert),
            "written": written,
        }
    )
    if not certs.new_ca:
        ctx.say("the branch CA already there was kept: desks joined before stay joined")
    ctx.say(
        f"keep {tls.CA_KEY} in {folder} off the network (a USB drive in a drawer): "
        "it makes certificates every desk trusts"
    )
    ctx.say(RELOAD.format(ca=certs.ca_cert, fingerprint=certs.fingerprint))
    return EXIT_OK


def _join(ctx: Context) -> int:
    url = ctx.args.db
    if not is_server_url(url):
        raise validation(
            "Give the branch server's address: --db postgresql://USER@HOST/DATABASE.", "db"
        )
    if not ctx.args.ca or not ctx.args.fingerprint:
        raise validation(
            "Give the branch CA file (--ca, branch-ca.crt from the server) and the "
            "fingerprint the server printed (--fingerprint).",
            "ca",
        )
    joined = server_join.join(url, Path(ctx.args.ca), ctx.args.fingerprint)
    answer: dict[str, object] = {
        "success": True,
        "pinned": str(joined.pinned),
        "connection": joined.connection,
    }
    ctx.emit(answer)
    return EXIT_OK


def cmd_server(ctx: Context) -> int:
    if ctx.args.action == "certs":
        return _certs(ctx)
    if ctx.args.action == "join":
        return _join(ctx)
    if ctx.args.action == "import-file":
        return import_file(ctx)
    return EXIT_REFUSED  # argparse allows only these
