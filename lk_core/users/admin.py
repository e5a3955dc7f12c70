from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from lk_core.users.models import User
from lk_platform.admin_sites import operator_console


class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "email", "kind", "staff_role", "is_active", "last_login"]
    list_filter = ["kind", "staff_role", "is_active"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        (_("Platform"), {"fields": ["kind", "staff_role", "must_change_password"]}),
    ]


operator_console.register(User, UserAdmin)
# The staff console manages staff accounts through lk_core.staff (StaffMember).
