"""The sandbox's hosted payment page: shows the amount, says TEST, and lets the tester
approve, decline or abandon. A decision is delivered to the portal as a notification,
the same path a real acquirer's webhook takes."""

from __future__ import annotations

import json

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from integrations.payments.models import SandboxCharge
from integrations.payments.sandbox_acquirer import charge_report, sandbox_charge_decide
from lk_core.payments.selectors import payment_settings_get, sandbox_allowed
from lk_core.payments.services import webhook_receive


@require_http_methods(["GET", "POST"])
def hosted_page(request: HttpRequest, charge_id: str) -> HttpResponse:
    charge = SandboxCharge.objects.filter(pk=charge_id).first()
    if charge is None or not sandbox_allowed(mode=payment_settings_get().mode):
        raise Http404
    if request.method == "POST":
        decision = request.POST.get("decision", "")
        if decision in ("approve", "decline"):
            charge = sandbox_charge_decide(
                charge_id=charge.id, decision=decision,
                declines_later=request.POST.get("declines_later") == "1")
            webhook_receive(acquirer="sandbox", headers={"user-agent": "lk-sandbox"},
                            body=json.dumps({"charge": charge.id}).encode())
        return HttpResponseRedirect(charge.return_url)
    return render(request, "payments_sandbox/hosted_page.html",
                  {"charge": charge, "report": charge_report(charge)})
