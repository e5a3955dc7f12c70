from django import template

from lk_core.identity.selectors import (
    resident_accounts_for_request,
    resident_current_account,
    resident_for_request,
)

register = template.Library()


@register.inclusion_tag("identity/_nav_links.html", takes_context=True)
def resident_nav(context) -> dict:
    request = context.get("request")
    resident = resident_for_request(request) if request is not None else None
    if resident is not None and getattr(resident, "linked_count", None) == 1:
        # One account: it is the current one, already read with the resident.
        current = resident_current_account(resident=resident)
        accounts = [current] if current else []
    else:
        accounts = resident_accounts_for_request(request) if resident else []
        current = next((a for a in accounts if a.pk == resident.current_account_id),
                       accounts[0] if accounts else None) if resident else None
    return {"request": request, "user": getattr(request, "user", None), "resident": resident,
            "accounts": accounts, "current": current, "csrf_token": context.get("csrf_token")}
