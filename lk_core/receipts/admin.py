"""Staff see each period's receipt run and how far its e-mails got (billing section)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from lk_core.notifications.models import Notification, Status
from lk_core.receipts.models import ReceiptRun
from lk_core.receipts.tasks import send_period_receipts
from lk_core.staff.permissions import ReadOnlyStaffAdminMixin
from lk_core.staff.roles import Section
from lk_platform.admin_sites import staff_console


def _outbox_count(status: str) -> Coalesce:
    rows = (Notification.objects.filter(batch_key=OuterRef("batch_key"), status=status)
            .order_by().values("batch_key").annotate(n=Count("pk")).values("n")[:1])
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


@admin.register(ReceiptRun, site=staff_console)
class ReceiptRunAdmin(ReadOnlyStaffAdminMixin, admin.ModelAdmin):
    console_section = Section.BILLING
    list_display = ["period_label", "eligible", "queued", "sent", "waiting", "failed",
                    "runs", "last_run_at", "finished_at", "outbox"]
    fields = ["period", "eligible", "queued", "runs", "started_at", "last_run_at",
              "finished_at"]
    readonly_fields = fields
    actions = ["run_now"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            sent_count=_outbox_count(Status.SENT), failed_count=_outbox_count(Status.FAILED),
            pending_count=_outbox_count(Status.PENDING),
            sending_count=_outbox_count(Status.SENDING))

    @admin.display(description=_("period"), ordering="period")
    def period_label(self, run: ReceiptRun) -> str:
        return f"{run.period:%m.%Y}"

    @admin.display(description=_("sent"))
    def sent(self, run: ReceiptRun) -> int:
        return run.sent_count

    @admin.display(description=_("waiting"))
    def waiting(self, run: ReceiptRun) -> int:
        return run.pending_count + run.sending_count

    @admin.display(description=_("failed"))
    def failed(self, run: ReceiptRun) -> int:
        return run.failed_count

    @admin.display(description=_("outbox"))
    def outbox(self, run: ReceiptRun) -> str:
        url = reverse("staff:notifications_notification_changelist")
        return format_html('<a href="{}?q={}">{}</a>', url, run.batch_key, _("messages"))

    @admin.action(description=_("Send the receipts still missing now"))
    def run_now(self, request, queryset):
        periods = list(queryset.values_list("period", flat=True))
        for period in periods:
            send_period_receipts.enqueue(period.isoformat())
        self.message_user(request, ngettext("%(count)d run started.", "%(count)d runs started.",
                                            len(periods)) % {"count": len(periods)},
                          messages.SUCCESS)
