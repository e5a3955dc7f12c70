"""Writing lk-export/1 packages: what residents created, for the billing system.

Rows are selected by the time they were created in the portal, in a half-open window
(since, until]. Incremental exports chain their windows (the watermark), so each row goes
out exactly once; `until` lags "now" by BILLING_EXPORT_SETTLE_SECONDS so a portal
transaction still in flight when the export runs lands in the next window, not in none."""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import datetime
from pathlib import Path

from django.db import connection

FORMAT = "lk-export/1"
ISO = 'YYYY-MM-DD"T"HH24:MI:SS"Z"'

READINGS_SQL = f"""
    SELECT r.id, m.meter_id, a.number, r.taken_on, r.t1, r.t2, r.t3,
           to_char(r.submitted_at AT TIME ZONE 'UTC', '{ISO}'), r.channel
    FROM meters_reading r JOIN meters_meter m ON m.id = r.meter_id
    JOIN billing_account a ON a.id = m.account_id
    WHERE r.submitted_at IS NOT NULL AND r.submitted_at > %(since)s
      AND r.submitted_at <= %(until)s
    ORDER BY r.submitted_at, r.id"""

CONTACTS_SQL = f"""
    SELECT account_number, email, phone, paperless::text, consent_email::text,
           consent_sms::text, to_char(changed_at AT TIME ZONE 'UTC', '{ISO}')
    FROM billing_contactchange
    WHERE changed_at > %(since)s AND changed_at <= %(until)s
    ORDER BY changed_at, id"""

# Card payments the acquirer confirmed (lk_core.payments), by the time the portal recorded
# the success. Test-mode payments moved no money and never go to billing.
PAYMENTS_SQL = f"""
    SELECT p.public_id, a.number, to_char(p.paid_at AT TIME ZONE 'UTC', '{ISO}'), p.amount,
           p.acquirer, p.acquirer_payment_id, p.status
    FROM payments_portalpayment p JOIN billing_account a ON a.id = p.account_id
    WHERE p.paid_at IS NOT NULL AND p.mode = 'live' AND p.paid_at > %(since)s
      AND p.paid_at <= %(until)s
    ORDER BY p.paid_at, p.id"""

FILES = {
    "readings.csv": (["reading_id", "meter_id", "account_number", "taken_on", "t1", "t2",
                      "t3", "submitted_at", "channel"], READINGS_SQL),
    "payments.csv": (["payment_id", "account_number", "paid_at", "amount", "acquirer",
                      "acquirer_payment_id", "status"], PAYMENTS_SQL),
    "contacts.csv": (["account_number", "email", "phone", "paperless", "consent_email",
                      "consent_sms", "changed_at"], CONTACTS_SQL),
}

EPOCH = datetime(1970, 1, 1).astimezone()


def export_package_write(*, out: Path, tenant_slug: str, since: datetime | None,
                         until: datetime) -> tuple[dict[str, int], str]:
    """Write the zip; returns (rows per file, sha256). Rows stream from COPY to the zip."""
    window = {"since": since or EPOCH, "until": until}
    counts = {}
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps({
            "format": FORMAT, "tenant": tenant_slug,
            "from": since.isoformat() if since else None, "to": until.isoformat(),
            "generated_at": datetime.now().astimezone().isoformat(),
            "encoding": "utf-8", "delimiter": ","}, ensure_ascii=False, indent=2))
        for name, (header, sql) in FILES.items():
            counts[name] = _file_write(archive, name, header, sql, window)
    return counts, _sha256(out)


def _file_write(archive: zipfile.ZipFile, name: str, header: list[str], sql: str | None,
                window: dict) -> int:
    with archive.open(name, "w") as stream:
        stream.write((",".join(header) + "\n").encode())
        if sql is None:
            return 0
        with connection.cursor() as cursor:
            # psycopg's own cursor: Django's debug wrapper (DEBUG, or queries being
            # captured) takes no parameters in copy(). Same connection, same search_path.
            raw = cursor.cursor
            with raw.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", window) as copy:
                for data in copy:
                    stream.write(data)
            cursor.execute(f"SELECT count(*) FROM ({sql}) q", window)
            return cursor.fetchone()[0]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
