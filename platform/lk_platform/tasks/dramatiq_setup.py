"""Dramatiq wiring: a broker (Redis or RabbitMQ) with the tenant middleware and one
runner actor per queue. Used by the backend (to send) and by dramatiq_app (the worker)."""

from __future__ import annotations

import threading
from contextlib import ExitStack
from functools import cache

import dramatiq
from django.db import close_old_connections, connection
from django.utils.module_loading import import_string
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import Middleware

from lk_platform.tasks.base import (
    NOT_RETRIED,
    TenantContextError,
    task_schema,
    validate_lk_task,
)

SCHEMA_OPTION = "lk_schema"


class TenantSchemaMiddleware(Middleware):
    """Carries the tenant's schema in the message options and runs the actor inside it.

    Enqueue: a message without a schema gets the sender's current one (the backend always
    sets it explicitly). Process: before the actor runs, the worker thread enters that
    utility's schema (`task_schema`: refuses `public` for tenant tasks and unknown
    schemas); afterwards it returns to `public`, so a thread serving two tenants in turn
    never carries one tenant's search_path into the next message."""

    def __init__(self) -> None:
        self.local = threading.local()

    def before_enqueue(self, broker, message, delay):
        message.options.setdefault(SCHEMA_OPTION, connection.schema_name)

    def before_process_message(self, broker, message):
        close_old_connections()
        self.local.stack, self.local.schema = ExitStack(), None
        task_obj = import_string(message.args[0])
        validate_lk_task(task_obj)
        schema = message.options.get(SCHEMA_OPTION, "")
        self.local.stack.enter_context(task_schema(task_obj, schema))
        self.local.schema = schema

    def after_process_message(self, broker, message, *, result=None, exception=None):
        stack = getattr(self.local, "stack", None)
        if stack is not None:
            stack.close()
        self.local.stack, self.local.schema = None, None
        connection.set_schema_to_public()
        close_old_connections()

    after_skip_message = after_process_message

    def entered_schema(self) -> str | None:
        return getattr(self.local, "schema", None)


def _runner(middleware: TenantSchemaMiddleware):
    def lk_run(module_path: str, args: list, kwargs: dict):
        # The middleware has entered the message's schema; without it (middleware missing
        # from a misconfigured broker) the task must not run at all.
        if middleware.entered_schema() is None:
            raise TenantContextError(f"{module_path}: no tenant schema entered")
        return import_string(module_path).call(*args, **kwargs)
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
