"""The Dramatiq worker's entry module.

Worker: `dramatiq lk_platform.dramatiq_app --processes 2 --threads 4` (docs/tasks.md)."""

from __future__ import annotations

import os

import django
import dramatiq
from django.apps import apps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lk_platform.settings")
if not apps.ready:
    django.setup()

from django.conf import settings

from lk_platform.tasks.dramatiq_backend import backend_queues
from lk_platform.tasks.dramatiq_setup import dramatiq_broker_for

broker = dramatiq_broker_for(settings.BROKER_URL, settings.TASK_NAMESPACE, backend_queues())
dramatiq.set_broker(broker)
