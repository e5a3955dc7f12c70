"""{% load money %}: {{ amount|money }} -> "12 345,67", {{ amount|rub }} -> "12 345,67 ₽"
in the active language (lk_core.billing.money)."""

from __future__ import annotations

from django import template

from lk_core.billing import money as formatting

register = template.Library()


@register.filter(is_safe=True)
def money(value) -> str:
    return formatting.money(value)


@register.filter(is_safe=True)
def rub(value) -> str:
    return formatting.rub(value)
