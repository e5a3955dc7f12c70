"""Dramatiq wiring: a broker (Redis or RabbitMQ) with the tenant middleware and one
runner actor per queue. Used by the backend (to send) and by dramatiq_app (the worker)."""

from __future__ import annotations

import threading
from functools import cache

import dramatiq
from django.db import close_old_connections, connection
from django_tenants.utils import get_public_schema_name
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import Middleware

from lk_platform.tasks.base import NOT_RETRIED, TenantContextError, run_message

SCHEMA_OPTION = "lk_schema"


class TenantSchemaMiddleware(Middleware):
    """Carries the tenant's schema in the message options and runs the actor inside it.

    Enqueue: a message without a schema gets the sender's current one (the backend always
    sets it explicitly). Process: the worker thread enters that schema before the actor
    runs and returns to `public` afterwards, so one thread serving two tenants in turn
    never carries one tenant's search_path into the next message."""

    def __init__(self) -> None:
        self.local = threading.local()

    def before_enqueue(self, broker, message, delay):
        message.options.setdefault(SCHEMA_OPTION, connection.schema_name)

    def before_process_message(self, broker, message):
        close_old_connections()
        schema = message.options.get(SCHEMA_OPTION)
        if not schema:
            raise TenantContextError(f"message {message.message_id} carries no schema")
        self.local.schema = schema

    def after_process_message(self, broker, message, *, result=None, exception=None):
        self.local.schema = None
        connection.set_schema_to_public()
        close_old_connections()

    after_skip_message = after_process_message

    def current_schema(self) -> str:
        return getattr(self.local, "schema", None) or get_public_schema_name()


def _runner(middleware: TenantSchemaMiddleware):
    def lk_run(module_path: str, args: list, kwargs: dict):
        # run_message enters the schema (tenant_context) the middleware took off the
        # message and refuses `public` for tenant-scoped tasks.
        return run_message(module_path=module_path, schema=middleware.current_schema(),
                           args=args, kwargs=kwargs)
    return lk_run


def queue_name(namespace: str, queue: str) -> str:
    return f"{namespace}.dramatiq.{queue}"


def actor_name(queue: str) -> str:
    return f"lk_run_{queue}"


def _build_broker(url: str, namespace: str) -> dramatiq.Broker:
    if url.startswith("amqp"):
        return RabbitmqBroker(url=url)
    return RedisBroker(url=url, namespace=namespace)


@cache
def dramatiq_broker_for(url: str, namespace: str, queues: tuple[str, ...]) -> dramatiq.Broker:
    broker = _build_broker(url, namespace)
    middleware = TenantSchemaMiddleware()
    broker.add_middleware(middleware)
    for queue in queues:
        # Permanent errors fail at once; everything else retries with the message's own
        # max_retries / backoff (set per task by the backend).
        dramatiq.actor(_runner(middleware), actor_name=actor_name(queue), broker=broker,
                       queue_name=queue_name(namespace, queue), throws=NOT_RETRIED)
    return broker
