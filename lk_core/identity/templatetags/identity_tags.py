from django import template

from lk_core.identity.selectors import (
    resident_accounts,
    resident_current_account,
    resident_for_user,
)

register = template.Library()


@register.inclusion_tag("identity/_nav_links.html", takes_context=True)
def resident_nav(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    resident = resident_for_user(user) if user is not None else None
    accounts = list(resident_accounts(resident=resident)) if resident else []
    return {"request": request, "user": user, "resident": resident, "accounts": accounts,
            "current": resident_current_account(resident=resident) if resident else None,
            "csrf_token": context.get("csrf_token")}
