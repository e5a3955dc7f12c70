"""Writes on residents: registration, linking accounts, login attempts, passwords, e-mail,
rules, staff actions. Views, admin actions and the API call these and nothing else.

No enumeration: every refusal of a registration or link returns the same outcome, does
the same password-hashing work, and the reason is written only to the audit log."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from lk_core.billing.models import Account, AccountStatus
from lk_core.identity import proofs, ratelimit, rules_default
from lk_core.identity.mail import identity_mail_send
from lk_core.identity.models import (
    IdentitySettings,
    LoginSession,
    PasswordDelivery,
    RegistrationMethod,
    Resident,
    ResidentAccount,
    RulesAcceptance,
    RulesStatus,
    RulesVersion,
    SecurityEvent,
    SecurityEventKind,
)
from lk_core.identity.selectors import (
    account_get_by_number,
    account_get_for_resident,
    account_number_normalise,
    identity_settings_get,
    utility_current,
)
from lk_core.identity.tokens import (
    email_change_read,
    email_change_token,
    reset_tokens,
    setup_tokens,
)
from lk_core.notifications.services import preference_consent_set
from lk_core.staff.services import staff_audit_record
from lk_core.users.models import User, UserKind
from lk_core.users.passwords import password_generate
from lk_platform.housekeeping import django_sessions_clear_expired
from tenants.urls import utility_url

Kind = SecurityEventKind


@dataclass(frozen=True)
class Outcome:
    """What the person trying may learn: success, or a refusal, or a wait."""

    ok: bool
    retry_after: int = 0
    resident: Resident | None = None
    user: User | None = None


# --- audit ------------------------------------------------------------------------------

def security_event_record(*, kind: str, user=None, actor=None, account_number: str = "",
                          ip: str | None = None, **details) -> SecurityEvent:
    return SecurityEvent.objects.create(kind=kind, user=user, actor=actor,
                                        account_number=account_number[:32], ip=ip or None,
                                        details=details)


# --- proving an account -----------------------------------------------------------------

def _proof_matches(method: str, account: Account | None, proof: str,
                   config: IdentitySettings) -> bool:
    if method == RegistrationMethod.AMOUNT:
        return proofs.amount_matches(account, proof)
    if method == RegistrationMethod.PASSPORT:
        return proofs.passport_matches(account, proof)
    if method == RegistrationMethod.RECEIPT_CODE:
        return proofs.receipt_code_matches(account, proof, secret=config.receipt_code_secret)
    return False  # office: no self-service proof exists


def _refusal(account: Account | None, proven: bool, method: str) -> str:
    """Why an attempt is refused (for the audit log only); "" when it may proceed."""
    if method == RegistrationMethod.OFFICE:
        return "office_only"
    if account is None:
        return "unknown_account"
    if account.status != AccountStatus.OPEN:
        return "closed_account"
    if not proven:
        return "wrong_proof"
    link = getattr(account, "resident_link", None)
    if link is not None:
        return "blocked" if not link.resident.user.is_active else "already_registered"
    return ""


def _equal_work() -> None:
    """The hashing a successful registration does, done on refusals too (timing)."""
    make_password(secrets.token_urlsafe(12))


def _limited(scopes: list[tuple[str, str]]) -> int:
    return max((ratelimit.retry_after(scope, value) for scope, value in scopes if value),
               default=0)


def _count_attempt(scopes: list[tuple[str, str]], number: str, ip: str | None) -> None:
    for scope, value in scopes:
        if value and ratelimit.hit(scope, value):
            _lockout_record(scope=scope, number=number if scope.endswith("account") else "",
                            ip=ip)


def _lockout_record(*, scope: str, number: str, ip: str | None) -> None:
    limit = ratelimit.limit_for(scope)
    account = account_get_by_number(number) if number else None
    link = getattr(account, "resident_link", None) if account else None
    owner = link.resident.user if link else None
    security_event_record(kind=Kind.LOCKOUT, user=owner, account_number=number, ip=ip,
                          scope=scope, seconds=limit.lockout)
    if owner is not None and owner.email:
        identity_mail_send(to=owner.email, template="lockout",
                           context={"minutes": max(1, limit.lockout // 60),
                                    "account_number": number})


def _prove(*, number: str, proof: str, ip: str | None, config: IdentitySettings,
           scopes: list[tuple[str, str]]) -> tuple[Account | None, str, int]:
    """Rate-limit, look up and check an account proof: (account, refusal, retry_after)."""
    wait = _limited(scopes)
    if wait:
        return None, "rate_limited", wait
    _count_attempt(scopes, number, ip)
    account = account_get_by_number(number)
    method = config.registration_method
    return account, _refusal(account, _proof_matches(method, account, proof, config),
                             method), 0


def _tell_owner_someone_tried(account: Account | None, refusal: str) -> None:
    if refusal not in ("already_registered", "blocked"):
        return
    owner = account.resident_link.resident.user
    if owner.email:
        identity_mail_send(to=owner.email, template="registration_attempt",
                           context={"account_number": account.number})


# --- registration -----------------------------------------------------------------------

def resident_register(*, account_number: str, email: str, proof: str,
                      rules_version: RulesVersion, email_notices: bool, sms_notices: bool,
                      ip: str | None, language: str = "") -> Outcome:
    """Self-registration by the utility's chosen method. On success the login exists, the
    first password (or link) is e-mailed on commit, and rules and consents are recorded.
    `language` is the one the resident registered in (the request's): their notifications
    are written in it until they choose another."""
    config = identity_settings_get()
    number = account_number_normalise(account_number)
    scopes = [("register_account", number), ("register_ip", ip or "")]
    account, refusal, wait = _prove(number=number, proof=proof, ip=ip, config=config,
                                    scopes=scopes)
    if refusal:
        return _registration_refused(account, number, refusal, wait, ip)
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=account.pk)
        if ResidentAccount.objects.filter(account=account).exists():  # lost a race
            return _registration_refused(account, number, "already_registered", 0, ip)
        user, password = _resident_user_create(email=email, config=config)
        resident = _resident_create(user=user, account=account, method=config.registration_method,
                                    email_notices=email_notices, sms_notices=sms_notices, ip=ip,
                                    language=language)
        RulesAcceptance.objects.create(resident=resident, version=rules_version, ip=ip)
        security_event_record(kind=Kind.REGISTERED, user=user, account_number=number, ip=ip,
                              method=config.registration_method, rules=rules_version.number)
        _first_password_send(user=user, password=password, account=account, config=config)
    return Outcome(ok=True, resident=resident, user=user)


def _registration_refused(account, number: str, refusal: str, wait: int,
                          ip: str | None) -> Outcome:
    if not wait:
        _equal_work()
        _tell_owner_someone_tried(account, refusal)
    security_event_record(kind=Kind.REGISTRATION_FAILED, account_number=number, ip=ip,
                          reason=refusal)
    return Outcome(ok=False, retry_after=wait)


def _resident_user_create(*, email: str, config: IdentitySettings) -> tuple[User, str | None]:
    """A resident login with a generated initial password, or none yet (link delivery)."""
    user = User(username=f"r-{secrets.token_hex(8)}", email=email.strip().lower(),
                kind=UserKind.RESIDENT)
    password = None
    if config.password_delivery == PasswordDelivery.PASSWORD:
        password = password_generate()
        user.set_password(password)
        user.must_change_password = config.force_password_change
        user.password_expires_at = timezone.now() + timedelta(hours=config.initial_password_hours)
    else:
        _equal_work()
        user.set_unusable_password()
    user.save()
    return user, password


def _resident_create(*, user: User, account: Account, method: str, email_notices: bool,
                     sms_notices: bool, ip: str | None, language: str = "") -> Resident:
    resident = Resident.objects.create(
        user=user, current_account=account, email_notices=email_notices,
        sms_notices=sms_notices, consent_at=timezone.now(), consent_ip=ip,
        registered_via=method, language=language_known(language))
    ResidentAccount.objects.create(resident=resident, account=account, method=method)
    preference_consent_set(user=user, email_enabled=email_notices, sms_enabled=sms_notices)
    return resident


def _first_password_send(*, user: User, password: str | None, account: Account,
                         config: IdentitySettings) -> None:
    context = {"account_number": account.number, "hours": config.initial_password_hours,
               "force_change": config.force_password_change}
    if password is not None:
        identity_mail_send(to=user.email, template="welcome_password",
                           context={**context, "password": password,
                                    "login_url": utility_url(utility_current(), "/login/")})
    else:
        identity_mail_send(to=user.email, template="welcome_link",
                           context={**context, "link": _password_link(user, "setup")})


def _password_link(user: User, kind: str) -> str:
    generator = setup_tokens if kind == "setup" else reset_tokens
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path = f"/password/{kind}/{uid}/{generator.make_token(user)}/"
    return utility_url(utility_current(), path)


def language_known(language: str | None) -> str:
    """One of the platform's languages ("en-us" is "en"), or "" for none of them."""
    code = (language or "").lower().split("-")[0]
    return code if code in dict(settings.LANGUAGES) else ""


# --- linked accounts --------------------------------------------------------------------

def resident_account_link(*, resident: Resident, account_number: str, proof: str,
                          ip: str | None) -> Outcome:
    """Link another account to a resident's login, proven the way registration is."""
    config = identity_settings_get()
    number = account_number_normalise(account_number)
    scopes = [("register_account", number), ("register_ip", ip or "")]
    account, refusal, wait = _prove(number=number, proof=proof, ip=ip, config=config,
                                    scopes=scopes)
    if refusal:
        if not wait:
            _equal_work()
            if getattr(account, "resident_link", None) and (
                    account.resident_link.resident_id != resident.pk):
                _tell_owner_someone_tried(account, refusal)
        security_event_record(kind=Kind.ACCOUNT_LINK_FAILED, user=resident.user,
                              account_number=number, ip=ip, reason=refusal)
        return Outcome(ok=False, retry_after=wait)
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=account.pk)
        if ResidentAccount.objects.filter(account=account).exists():
            return Outcome(ok=False)
        ResidentAccount.objects.create(resident=resident, account=account,
                                       method=config.registration_method)
        security_event_record(kind=Kind.ACCOUNT_LINKED, user=resident.user,
                              account_number=number, ip=ip)
    return Outcome(ok=True, resident=resident)


def resident_notices_set(*, resident: Resident, email_notices: bool, sms_notices: bool,
                         ip: str | None) -> None:
    """Give or withdraw consent to e-mail/SMS notices (recorded with time and IP)."""
    resident.email_notices = email_notices
    resident.sms_notices = sms_notices
    resident.consent_at = timezone.now()
    resident.consent_ip = ip
    resident.save(update_fields=["email_notices", "sms_notices", "consent_at", "consent_ip"])
    preference_consent_set(user=resident.user, email_enabled=email_notices,
                           sms_enabled=sms_notices)
    security_event_record(kind=Kind.NOTICES_CHANGED, user=resident.user, ip=ip,
                          email=email_notices, sms=sms_notices)


def resident_account_switch(*, resident: Resident, account_id: int) -> Account:
    account = account_get_for_resident(resident=resident, account_id=account_id)
    resident.current_account = account
    resident.save(update_fields=["current_account"])
    return account


# --- login ------------------------------------------------------------------------------

def resident_authenticate(*, request, account_number: str, password: str,
                          ip: str | None) -> Outcome:
    """Check account number + password under the login limits; the caller logs in."""
    number = account_number_normalise(account_number)
    scopes = [("login_account", number), ("login_ip", ip or "")]
    wait = _limited(scopes)
    if wait:
        security_event_record(kind=Kind.LOGIN_FAILED, account_number=number, ip=ip,
                              reason="rate_limited")
        return Outcome(ok=False, retry_after=wait)
    user = authenticate(request, account_number=number, password=password)
    if user is None:
        security_event_record(kind=Kind.LOGIN_FAILED, account_number=number, ip=ip)
        _count_attempt(scopes, number, ip)
        return Outcome(ok=False)
    security_event_record(kind=Kind.LOGIN, user=user, account_number=number, ip=ip)
    if user.password_expires_at and not user.must_change_password:
        # Used in time and no change required: the initial password is now the password.
        user.password_expires_at = None
        user.save(update_fields=["password_expires_at"])
    return Outcome(ok=True, user=user)


def staff_login_wait(*, username: str, ip: str | None) -> int:
    """Seconds a staff console login must wait (per username and per IP), else 0."""
    return _limited([("staff_login", username.strip().lower()), ("login_ip", ip or "")])


def staff_login_failed(*, username: str, ip: str | None) -> None:
    username = username.strip().lower()
    security_event_record(kind=Kind.LOGIN_FAILED, ip=ip, username=username, console="staff")
    if ratelimit.hit("staff_login", username):
        staff = User.objects.filter(username=username, kind=UserKind.STAFF).first()
        security_event_record(kind=Kind.LOCKOUT, user=staff, ip=ip, scope="staff_login",
                              username=username)
        if staff is not None and staff.email:
            identity_mail_send(to=staff.email, template="lockout", context={
                "minutes": max(1, ratelimit.limit_for("staff_login").lockout // 60),
                "account_number": username})
    if ip and ratelimit.hit("login_ip", ip):
        security_event_record(kind=Kind.LOCKOUT, ip=ip, scope="login_ip")


def login_session_record(*, user: User, session_key: str, ip: str | None) -> None:
    LoginSession.objects.update_or_create(session_key=session_key,
                                          defaults={"user": user, "ip": ip})


def login_session_forget(*, session_key: str | None) -> None:
    if session_key:
        LoginSession.objects.filter(session_key=session_key).delete()


def resident_sessions_end(user: User, except_session_key: str | None = None) -> int:
    """End the user's other sessions (and whatever IDENTITY_SESSION_END_HOOKS end, such as
    API tokens): called on password change, reset and blocking. Sessions opened before
    tracking are also dead: Django checks the password hash stored in each session."""
    engine = import_module(settings.SESSION_ENGINE)
    rows = LoginSession.objects.filter(user=user)
    if except_session_key:
        rows = rows.exclude(session_key=except_session_key)
    keys = list(rows.values_list("session_key", flat=True))
    for key in keys:
        engine.SessionStore(session_key=key).delete()
    rows.delete()
    for hook in getattr(settings, "IDENTITY_SESSION_END_HOOKS", []):
        import_string(hook)(user=user, except_session_key=except_session_key)
    return len(keys)


LOGIN_SESSION_GRACE = timedelta(hours=1)  # a login in flight has its row before its session


def sessions_clear_expired() -> dict[str, int]:
    """Housekeeping for the current schema (daily, lk_core.identity.periodic): Django
    never deletes expired sessions by itself, and a LoginSession outlives its session
    when the session simply expires. Safe to run twice, and at any time."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    expired = django_sessions_clear_expired()
    if hasattr(store, "get_model_class"):  # database-backed (db, cached_db)
        live = store.get_model_class().objects.values("session_key")
        orphans = LoginSession.objects.exclude(session_key__in=live)
    else:  # cache-backed: the cache expires sessions; ask it which are gone
        gone = [row.pk for row in LoginSession.objects.only("session_key").iterator()
                if not store().exists(row.session_key)]
        orphans = LoginSession.objects.filter(pk__in=gone)
    forgotten = orphans.filter(created_at__lt=timezone.now() - LOGIN_SESSION_GRACE).delete()[0]
    return {"sessions": expired, "login_sessions": forgotten}


# --- passwords --------------------------------------------------------------------------

def _password_store(user: User, new_password: str) -> None:
    user.set_password(new_password)
    user.must_change_password = False
    user.password_expires_at = None
    user.save(update_fields=["password", "must_change_password", "password_expires_at"])


def password_change(*, user: User, new_password: str, keep_session_key: str | None,
                    ip: str | None) -> None:
    """The user's own change (old password checked by the caller's form)."""
    _password_store(user, new_password)
    resident_sessions_end(user, except_session_key=keep_session_key)
    security_event_record(kind=Kind.PASSWORD_CHANGED, user=user, ip=ip)
    if user.email:
        identity_mail_send(to=user.email, template="password_changed", context={})


def password_reset_request(*, account_number: str, email: str, ip: str | None) -> int:
    """Send a one-time reset link if the pair matches an active resident. Returns the wait
    in seconds when rate-limited, else 0; the caller says the same thing either way."""
    number = account_number_normalise(account_number)
    scopes = [("reset_account", number), ("reset_ip", ip or "")]
    wait = _limited(scopes)
    if wait:
        return wait
    _count_attempt(scopes, number, ip)
    account = account_get_by_number(number)
    link = getattr(account, "resident_link", None) if account else None
    user = link.resident.user if link else None
    matches = (user is not None and user.is_active and user.email
               and user.email.lower() == email.strip().lower())
    security_event_record(kind=Kind.PASSWORD_RESET_REQUESTED, user=user if matches else None,
                          account_number=number, ip=ip, matched=bool(matches))
    if matches:
        _reset_link_send(user)
    return 0


def _reset_link_send(user: User) -> None:
    minutes = max(1, reset_tokens.timeout // 60)
    identity_mail_send(to=user.email, template="password_reset",
                       context={"link": _password_link(user, "reset"), "minutes": minutes})


def password_link_user(*, kind: str, uid: int | None, token: str) -> User | None:
    """The user a reset/setup link is for, if the link is still valid (else None)."""
    user = User.objects.filter(pk=uid, is_active=True).first() if uid else None
    if user is None:
        return None
    if kind == "setup":
        hours = identity_settings_get().initial_password_hours
        return user if setup_tokens.check_token(user, token, timeout=hours * 3600) else None
    return user if reset_tokens.check_token(user, token) else None


def password_set_by_link(*, user: User, new_password: str, ip: str | None) -> None:
    _password_store(user, new_password)
    resident_sessions_end(user)
    security_event_record(kind=Kind.PASSWORD_RESET, user=user, ip=ip)
    _login_locks_clear(user)


def _login_locks_clear(user: User) -> None:
    numbers = ResidentAccount.objects.filter(resident__user=user).values_list(
        "account__number", flat=True)
    for number in numbers:
        ratelimit.reset("login_account", number)


# --- e-mail -----------------------------------------------------------------------------

def email_change_request(*, user: User, new_email: str, ip: str | None) -> None:
    """Confirmation link to the new address, a notice to the old one."""
    new_email = new_email.strip().lower()
    token = email_change_token(user_id=user.pk, old_email=user.email, new_email=new_email)
    link = utility_url(utility_current(), f"/email/confirm/{token}/")
    identity_mail_send(to=new_email, template="email_confirm", context={"link": link})
    if user.email:
        identity_mail_send(to=user.email, template="email_change_notice",
                           context={"new_email": new_email})
    security_event_record(kind=Kind.EMAIL_CHANGE_REQUESTED, user=user, ip=ip, new=new_email)


def email_change_confirm(*, token: str, ip: str | None) -> User | None:
    """Apply a confirmed change once; None for a bad, expired or used link."""
    data = email_change_read(token)
    user = User.objects.filter(pk=data["u"], is_active=True).first() if data else None
    if user is None or user.email != data["o"]:
        return None
    user.email = data["n"]
    user.save(update_fields=["email"])
    security_event_record(kind=Kind.EMAIL_CHANGED, user=user, ip=ip, old=data["o"],
                          new=data["n"])
    return user


# --- rules ------------------------------------------------------------------------------

def identity_settings_update(*, actor, **fields) -> IdentitySettings:
    """Registration and password settings, changed by the utility's administrator."""
    config = identity_settings_get()
    changes = {name: {"from": getattr(config, name), "to": value}
               for name, value in fields.items() if getattr(config, name) != value}
    for name, value in fields.items():
        setattr(config, name, value)
    config.full_clean()
    with transaction.atomic():
        config.save()
        if changes:
            staff_audit_record(actor=actor, section="settings",
                               action="identity_settings_changed", target=str(config),
                               details=changes)
    return config


def rules_default_ensure() -> RulesVersion:
    """The current rules; the platform's default text is published as version 1 when the
    utility has none yet."""
    current = RulesVersion.objects.filter(status=RulesStatus.PUBLISHED).order_by("-number").first()
    if current is not None:
        return current
    name = utility_current().name
    version, _created = RulesVersion.objects.get_or_create(number=1, defaults={
        "title": rules_default.TITLE_RU, "title_en": rules_default.TITLE_EN,
        "text_ru": rules_default.TEXT_RU.replace("{utility}", name),
        "text_en": rules_default.TEXT_EN.replace("{utility}", name),
        "status": RulesStatus.PUBLISHED, "published_at": timezone.now()})
    return version


def rules_draft_create(*, title: str, text_ru: str, text_en: str = "",
                       title_en: str = "") -> RulesVersion:
    last = RulesVersion.objects.order_by("-number").first()
    return RulesVersion.objects.create(number=(last.number + 1) if last else 1, title=title,
                                       title_en=title_en, text_ru=text_ru, text_en=text_en)


def rules_publish(*, version: RulesVersion, actor=None) -> RulesVersion:
    if version.status == RulesStatus.PUBLISHED:
        return version
    if RulesVersion.objects.filter(status=RulesStatus.PUBLISHED,
                                   number__gt=version.number).exists():
        raise ValidationError(_("A newer version is already published."))
    version.status = RulesStatus.PUBLISHED
    version.published_at = timezone.now()
    version.save(update_fields=["status", "published_at"])
    security_event_record(kind=Kind.RULES_PUBLISHED, actor=actor, version=version.number)
    staff_audit_record(actor=actor, section="content", action="rules_published",
                       target=version.title, details={"number": version.number})
    return version


def rules_accept(*, resident: Resident, version: RulesVersion, ip: str | None) -> None:
    _acceptance, created = RulesAcceptance.objects.get_or_create(
        resident=resident, version=version, defaults={"ip": ip})
    if created:
        security_event_record(kind=Kind.RULES_ACCEPTED, user=resident.user, ip=ip,
                              version=version.number)


# --- staff actions ----------------------------------------------------------------------

def resident_register_in_office(*, actor: User, account_number: str, email: str,
                                ip: str | None, email_notices: bool = False,
                                sms_notices: bool = False) -> tuple[Resident, str]:
    """Staff register a resident whose documents they checked; the password is returned to
    be printed once (the resident accepts the rules at first login)."""
    number = account_number_normalise(account_number)
    config = identity_settings_get()
    with transaction.atomic():
        account = Account.objects.select_for_update().filter(number=number).first()
        if account is None:
            raise ValidationError({"account_number": _("No such account.")})
        if ResidentAccount.objects.filter(account=account).exists():
            raise ValidationError({"account_number": _("This account is already registered.")})
        password = password_generate()
        user = User(username=f"r-{secrets.token_hex(8)}", email=email.strip().lower(),
                    kind=UserKind.RESIDENT, must_change_password=True,
                    password_expires_at=timezone.now()
                    + timedelta(hours=config.initial_password_hours))
        user.set_password(password)
        user.save()
        resident = _resident_create(user=user, account=account, method=RegistrationMethod.OFFICE,
                                    email_notices=email_notices, sms_notices=sms_notices, ip=ip)
        security_event_record(kind=Kind.STAFF_REGISTERED, user=user, actor=actor,
                              account_number=number, ip=ip)
    return resident, password


def resident_block(*, resident: Resident, actor: User, reason: str = "",
                   ip: str | None = None) -> None:
    user = resident.user
    user.is_active = False
    user.save(update_fields=["is_active"])
    resident.blocked_at = timezone.now()
    resident.blocked_reason = reason
    resident.save(update_fields=["blocked_at", "blocked_reason"])
    resident_sessions_end(user)
    security_event_record(kind=Kind.STAFF_BLOCKED, user=user, actor=actor, ip=ip, reason=reason)


def resident_unblock(*, resident: Resident, actor: User, ip: str | None = None) -> None:
    user = resident.user
    user.is_active = True
    user.save(update_fields=["is_active"])
    resident.blocked_at = None
    resident.blocked_reason = ""
    resident.save(update_fields=["blocked_at", "blocked_reason"])
    _login_locks_clear(user)
    security_event_record(kind=Kind.STAFF_UNBLOCKED, user=user, actor=actor, ip=ip)


def resident_reset_send(*, resident: Resident, actor: User, ip: str | None = None) -> bool:
    """Staff send the resident a password reset link; False when there is no e-mail."""
    user = resident.user
    if not (user.is_active and user.email):
        return False
    _reset_link_send(user)
    security_event_record(kind=Kind.STAFF_RESET, user=user, actor=actor, ip=ip)
    return True
