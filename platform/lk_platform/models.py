"""Platform-level state (public schema)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ScheduledRun(models.Model):
    """When the scheduler last fanned a periodic job out to a schema. Kept in the
    database so a restarted (or a second) scheduler neither skips nor repeats a period."""

    job = models.CharField(_("job"), max_length=100)
    schema_name = models.CharField(_("schema"), max_length=63)
    last_run_at = models.DateTimeField(_("last run at"))

    class Meta:
        verbose_name = _("scheduled run")
        verbose_name_plural = _("scheduled runs")
        constraints = [models.UniqueConstraint(fields=["job", "schema_name"],
                                               name="scheduled_run_job_schema_uniq")]

    def __str__(self) -> str:
        return f"{self.job}@{self.schema_name}"
