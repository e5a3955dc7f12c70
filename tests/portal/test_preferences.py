"""Changing some settings at once from two devices (lk_core.portal.services.
preferences_change, the app's PATCH): both changes land, none undoes the other."""

from __future__ import annotations

import threading

from django.db import connection

from lk_core.portal.selectors import resident_settings
from lk_core.portal.services import preferences_change
from tests.portal import data


def test_two_changes_at_once_both_land(race_utility):
    connection.set_tenant(race_utility)
    user, _account = data.resident("310001")
    connection.set_schema_to_public()
    changes = [{"paperless_receipt": True}, {"email_reading_receipt": True},
               {"language": "en"}, {"contact_phone": "+79120000002"}]
    barrier = threading.Barrier(len(changes))
    errors: list[Exception] = []

    def worker(change: dict) -> None:
        from django.db import connection as thread_connection

        thread_connection.set_tenant(race_utility)
        try:
            barrier.wait()
            preferences_change(user=user, ip="203.0.113.5", **change)
        except Exception as exc:  # the assertion below shows it
            errors.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=worker, args=(change,)) for change in changes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    connection.set_tenant(race_utility)
    saved = resident_settings(user=user)
    assert (saved.paperless_receipt, saved.email_reading_receipt, saved.language,
            saved.contact_phone) == (True, True, "en", "+79120000002")
