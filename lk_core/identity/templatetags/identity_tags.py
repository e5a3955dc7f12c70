from django import template

from lk_core.identity.selectors import resident_accounts, resident_for_request

register = template.Library()


@register.inclusion_tag("identity/_nav_links.html", takes_context=True)
def resident_nav(context) -> dict:
    request = context.get("request")
    resident = resident_for_request(request) if request is not None else None
    accounts = list(resident_accounts(resident=resident)) if resident else []
    current = next((a for a in accounts if a.pk == resident.current_account_id),
                   accounts[0] if accounts else None) if resident else None
    return {"request": request, "user": getattr(request, "user", None), "resident": resident,
            "accounts": accounts, "current": current, "csrf_token": context.get("csrf_token")}
