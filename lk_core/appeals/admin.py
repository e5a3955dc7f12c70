"""Staff console: appeal categories with their routes, and the appeals desk.

The desk is the Appeal changelist (the queue: filters by destination, priority, status,
assignee; emergencies first and highlighted; SLA timers) and its change page (take,
assign, priority, reply, internal note, attachments, deliveries, history). Every write
goes through lk_core.appeals.services; the queue and its scope through selectors."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from lk_core.appeals import delivery, selectors, services
from lk_core.appeals.models import (
    Appeal,
    AppealCategory,
    AppealStatus,
    Destination,
    Priority,
)
from lk_core.identity.selectors import user_label
from lk_core.staff.permissions import StaffSectionAdminMixin
from lk_core.staff.roles import Action, Section, staff_can
from lk_platform.admin_sites import staff_console


def _moment(value) -> str:
    """A local date and time in the staff member's language (10.11.2026 12:05 /
    10 Nov 2026 12:05)."""
    return date_format(value, "SHORT_DATETIME_FORMAT")


# --- categories and routes ----------------------------------------------------------------

class AppealCategoryForm(forms.ModelForm):
    webhook_secret = forms.CharField(
        label=_("Webhook secret"), required=False, strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("At least 16 characters; the receiver checks the signature with it. "
                    "Stored encrypted and never shown. Leave empty to keep the current one."))

    class Meta:
        model = AppealCategory
        fields = list(services.ROUTE_FIELDS)

    def _post_clean(self):
        # Copy the input onto the category and run the service's route rules, so errors
        # show next to their fields; the service checks again and saves.
        self.instance = forms.models.construct_instance(self, self.instance,
                                                        self._meta.fields)
        if self.errors:
            return
        try:
            services.appeal_category_check(
                category=self.instance, webhook_secret=self.cleaned_data.get("webhook_secret"))
            self.instance.full_clean(exclude=["webhook_secret_encrypted"])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)


@admin.register(AppealCategory, site=staff_console)
class AppealCategoryAdmin(StaffSectionAdminMixin, admin.ModelAdmin):
    console_section = Section.APPEAL_ROUTES
    form = AppealCategoryForm
    list_display = ["name", "destination", "department", "is_emergency", "priority",
                    "response_hours", "resolution_hours", "delivery", "is_active", "position"]
    list_filter = ["destination", "is_emergency", "is_active", "delivery"]
    fieldsets = [
        (None, {"fields": ["name", "description", "is_active", "position"]}),
        (_("Route"), {"fields": ["destination", "department", "is_emergency", "priority"]}),
        (_("SLA"), {"fields": ["response_hours", "resolution_hours"]}),
        (_("Delivery"), {"fields": ["delivery", "delivery_email", "webhook_url",
                                    "webhook_secret"]}),
    ]

    def has_delete_permission(self, request, obj=None):
        return False  # appeals keep their category: switch "offered to residents" off

    def save_model(self, request, obj, form, change):
        services.appeal_category_save(actor=request.user, category=obj,
                                      fields=list(form.changed_data),
                                      webhook_secret=form.cleaned_data.get("webhook_secret", ""))

    def save_related(self, request, form, formsets, change):
        """Nothing related to save."""


# --- the desk -------------------------------------------------------------------------------


class AssignedFilter(admin.SimpleListFilter):
    title = _("assigned")
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("me", _("To me")), ("nobody", _("To nobody"))]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assignee=request.user)
        if self.value() == "nobody":
            return queryset.filter(assignee__isnull=True)
        return queryset


class AppealDeskForm(forms.ModelForm):
    assignee = forms.ModelChoiceField(label=_("Assigned to"), required=False,
                                      queryset=selectors.assignable_staff())
    new_priority = forms.TypedChoiceField(label=_("Priority"), choices=Priority.choices,
                                          coerce=int, required=False, empty_value=None)
    reply = forms.CharField(label=_("Reply to the resident"), widget=forms.Textarea,
                            required=False,
                            help_text=_("The resident sees it and is notified."))
    new_status = forms.ChoiceField(label=_("Status after the reply"),
                                   choices=AppealStatus.choices, initial=AppealStatus.ANSWERED)
    note = forms.CharField(label=_("Internal note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("Staff only: never shown to the resident."))

    class Meta:
        model = Appeal
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        appeal = self.instance
        if appeal.pk:
            self.fields["assignee"].queryset = selectors.assignable_staff(
                destination=appeal.destination)
            self.fields["assignee"].initial = appeal.assignee_id
            self.fields["new_priority"].initial = appeal.priority

    def _post_clean(self):
        # Nothing is copied onto the appeal: the desk's services change it (the admin
        # builds the form with the fieldsets' names, "assignee" among them).
        pass


@admin.register(Appeal, site=staff_console)
class AppealAdmin(StaffSectionAdminMixin, admin.ModelAdmin):
    console_section = Section.APPEALS
    form = AppealDeskForm
    change_form_template = "appeals/desk_change_form.html"
    list_display = ["number", "sla", "category", "route", "priority", "status",
                    "assigned_to", "created_local"]
    list_display_links = ["number", "category"]
    list_filter = ["destination", "priority", "status", "is_emergency", AssignedFilter,
                   "category"]
    search_fields = ["account__number", "text"]
    readonly_fields = ["account", "address", "category", "route", "emergency", "priority",
                       "status", "sla", "assigned_to", "created_local", "text", "attachments",
                       "deliveries", "history"]
    list_per_page = 50
    actions = ["take_selected"]

    def get_queryset(self, request):
        return selectors.appeal_queue_for_staff(user=request.user)

    def get_list_display(self, request):
        # Dispatchers and customer service work one destination: no column for it.
        if len(selectors.destinations_for(request.user)) == 1:
            return [name for name in self.list_display if name != "route"]
        return self.list_display

    def get_list_filter(self, request):
        if len(selectors.destinations_for(request.user)) == 1:
            return [name for name in self.list_filter if name != "destination"]
        return self.list_filter

    def get_ordering(self, request):
        return selectors.QUEUE_ORDERING

    def get_fieldsets(self, request, obj=None):
        sets = [(None, {"fields": ["emergency", "category", "route", "priority", "status",
                                   "sla", "assigned_to", "created_local", "account", "address",
                                   "text", "attachments", "deliveries"]}),
                (_("History"), {"fields": ["history"]})]
        if self.has_change_permission(request, obj):
            sets.append((_("Work on the appeal"), {"fields": [
                "assignee", "new_priority", "reply", "new_status", "note"]}))
        return sets

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    # --- what the queue shows ---

    @admin.display(description=_("No."), ordering="pk")
    def number(self, obj):
        if obj.is_emergency:  # the badge also highlights the row (console.css)
            return format_html('{} <span class="desk-emergency">{}</span>', str(obj),
                               gettext("Emergency"))
        return str(obj)

    @admin.display(description=_("emergency"), ordering="is_emergency")
    def emergency(self, obj):
        if not obj.is_emergency:
            return ""
        return format_html('<span class="desk-emergency">{}</span>', gettext("Emergency"))

    @admin.display(description=_("destination"), ordering="destination")
    def route(self, obj):
        label = gettext("Dispatch") if obj.destination == Destination.DISPATCH else \
            obj.get_destination_display()
        return f"{label}: {obj.department}" if obj.department else label

    @admin.display(description=_("SLA"))
    def sla(self, obj):
        timer = selectors.sla_timer(obj, tz=self._tz())
        if timer is None:
            return "—"
        what = gettext("response") if timer.label == "respond" else gettext("resolution")
        return format_html(
            '<span class="desk-sla {}" title="{}" data-deadline="{}">{}: {}</span>',
            "desk-sla-overdue" if timer.overdue else "desk-sla-ok",
            f"{_moment(timer.deadline)} {timer.deadline:%Z}", timer.deadline.isoformat(),
            what, timer.text)

    @admin.display(description=_("sent at"), ordering="created_at")
    def created_local(self, obj):
        return _moment(timezone.localtime(obj.created_at, self._tz()))

    @admin.display(description=_("assigned to"), ordering="assignee__username")
    def assigned_to(self, obj):
        return obj.assignee.get_username() if obj.assignee else "—"

    @admin.display(description=_("address"))
    def address(self, obj):
        return obj.account.address

    @admin.display(description=_("attachments"))
    def attachments(self, obj):
        rows = self._detail(obj).attachments
        if not rows:
            return "—"
        return format_html_join(" ", '<a href="{}" target="_blank" rel="noopener">{}</a>', (
            (reverse("portal-attachment", args=[a.token]), a.original_name) for a in rows))

    @admin.display(description=_("deliveries"))
    def deliveries(self, obj):
        rows = self._detail(obj).deliveries
        if not rows:
            return gettext("The desk only")
        return format_html_join(
            "", '<div class="desk-delivery desk-delivery-{}">{} → {}: {} ({}: {}){}</div>', (
                (d.status, d.get_kind_display(), d.target, d.get_status_display(),
                 gettext("attempts"), d.attempts,
                 f" — {d.last_error}" if d.last_error and d.status != "delivered" else "")
                for d in rows))

    @admin.display(description=_("history"))
    def history(self, obj):
        tz = self._tz()
        return format_html(
            '<table class="desk-history"><tbody>{}</tbody></table>', format_html_join(
                "", '<tr class="desk-event{}"><td>{}</td><td>{}</td><td>{}</td><td>{}</td>'
                    '<td>{}</td></tr>', (
                    (" desk-event-internal" if e.internal else "",
                     _moment(timezone.localtime(e.created_at, tz)),
                     e.get_kind_display(),
                     gettext("staff only") if e.internal else gettext("resident sees it"),
                     user_label(e.author, account=obj.account), e.text)
                    for e in self._detail(obj).events)))

    def _tz(self):
        from django.db import connection

        return connection.tenant.tzinfo

    def _detail(self, obj):
        cached = getattr(obj, "_desk_detail", None)
        if cached is None:
            cached = obj._desk_detail = selectors.appeal_desk_detail(appeal=obj)
        return cached

    # --- what the desk does ---

    def get_object(self, request, object_id, from_field=None):
        try:
            return selectors.appeal_get_for_staff(user=request.user, appeal_id=int(object_id))
        except (ValueError, Http404):  # not in this user's queue: the admin's "not found"
            return None

    def get_urls(self):
        return [
            path("<int:pk>/take/", self.admin_site.admin_view(self.take_view),
                 name="appeals_appeal_take"),
            path("<int:pk>/retry-deliveries/", self.admin_site.admin_view(self.retry_view),
                 name="appeals_appeal_retry"),
            *super().get_urls(),
        ]

    def _changeable(self, request, pk):
        if request.method != "POST" or not staff_can(request.user, Section.APPEALS,
                                                     Action.CHANGE):
            raise PermissionDenied
        return selectors.appeal_get_for_staff(user=request.user, appeal_id=pk)

    def take_view(self, request, pk):
        appeal = self._changeable(request, pk)
        try:
            services.appeal_take(appeal=appeal, staff_user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, gettext("The appeal is yours now."))
        return redirect("staff:appeals_appeal_change", pk)

    def retry_view(self, request, pk):
        appeal = self._changeable(request, pk)
        count = delivery.delivery_retry(appeal=appeal)
        messages.success(request, gettext("Deliveries sent again: %(count)d.")
                         % {"count": count})
        return redirect("staff:appeals_appeal_change", pk)

    @admin.action(description=_("Take the selected appeals"))
    def take_selected(self, request, queryset):
        taken = 0
        for appeal in queryset:
            if selectors.staff_may_work(request.user, appeal):
                try:
                    services.appeal_take(appeal=appeal, staff_user=request.user)
                    taken += 1
                except ValidationError:
                    continue
        messages.success(request, gettext("Appeals taken: %(count)d.") % {"count": taken})

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra = {"can_take": object_id and staff_can(request.user, Section.APPEALS,
                                                      Action.CHANGE),
                 **(extra_context or {})}
        return super().changeform_view(request, object_id, form_url, extra)

    def save_model(self, request, obj, form, change):
        """The desk's changes, each through its service and written to the history."""
        data = form.cleaned_data
        try:
            self._apply(request, obj, form, data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))

    @staticmethod
    def _apply(request, obj, form, data):
        user = request.user
        if "assignee" in form.changed_data and data.get("assignee") != obj.assignee:
            services.appeal_assign(appeal=obj, staff_user=user, assignee=data.get("assignee"))
        if data.get("new_priority") and data["new_priority"] != obj.priority:
            services.appeal_priority_set(appeal=obj, staff_user=user,
                                         priority=data["new_priority"])
        if data.get("note"):
            services.appeal_note_add(appeal=obj, staff_user=user, text=data["note"])
        status = data.get("new_status")
        if data.get("reply"):
            services.appeal_reply_by_staff(appeal=obj, staff_user=user, text=data["reply"],
                                           status=status)
        elif status and status != obj.status and "new_status" in form.changed_data:
            services.appeal_set_status(appeal=obj, staff_user=user, status=status)

    def save_related(self, request, form, formsets, change):
        """History rows are written by the services."""
