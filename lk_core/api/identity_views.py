"""Registration, passwords, linked accounts, rules and settings: the same identity services
the web pages call, with the same messages."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from lk_core.api.auth_views import TokenPairSerializer, token_pair
from lk_core.api.base import PublicAPIView, ResidentAPIView, client_ip, valid_data
from lk_core.api.exceptions import InputRefused, TooManyAttempts
from lk_core.api.views import LanguageSerializer
from lk_core.devices.services import device_session_create
from lk_core.identity import services as identity
from lk_core.identity.forms import PROOF_FIELDS
from lk_core.identity.models import RegistrationMethod
from lk_core.identity.selectors import (
    identity_settings_get,
    resident_accounts,
    resident_current_account,
    rules_accepted,
    rules_current,
    rules_text,
    rules_title,
)
from lk_core.portal.selectors import resident_settings
from lk_core.portal.services import LANGUAGE_UNKNOWN, preferences_change


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What happened, in the request's language.")


def _detail(message: str, code: int = status.HTTP_202_ACCEPTED) -> Response:
    return Response({"detail": message}, status=code)


def _office_only(linking: bool) -> exceptions.PermissionDenied:
    config = identity_settings_get()
    message = (_("Accounts are linked in the office: bring a document that shows the account "
                 "is yours.") if linking else
               _("This company registers residents in person. Bring your passport and a "
                 "receipt; you will get your login on the spot."))
    if config.office_instructions:
        message = f"{message}\n\n{config.office_instructions}"
    return exceptions.PermissionDenied(message, code="office_only")


def _refused_or_wait(outcome) -> exceptions.APIException:
    if outcome.retry_after:
        return TooManyAttempts(wait=outcome.retry_after)
    # The registration page's words (its REFUSED constant is translated once at import, so
    # the API asks for the same msgid per request).
    refused = _("We could not confirm these details. Check the account number and the data "
                "from your receipt and try again, or contact the office.")
    return exceptions.ValidationError({"non_field_errors": [refused]}, code="refused")


def _password_field() -> serializers.CharField:
    return serializers.CharField(max_length=128, trim_whitespace=False,
                                 label=gettext_lazy("new password"))


def _new_password_check(password: str, user) -> None:
    """Django's password validators, as the web password forms run them."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise exceptions.ValidationError({"new_password": list(error.messages)}) from None


# --- registration -----------------------------------------------------------------------

class ProofSerializer(serializers.Serializer):
    label = serializers.CharField()
    help_text = serializers.CharField()
    input_mode = serializers.CharField(help_text="decimal, numeric or text")


class RulesSummarySerializer(serializers.Serializer):
    number = serializers.IntegerField()
    title = serializers.CharField()


class RegistrationInfoSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=RegistrationMethod.choices)
    self_service = serializers.BooleanField()
    proof = ProofSerializer(allow_null=True, help_text="null when registration is office-only")
    office_instructions = serializers.CharField(allow_blank=True)
    rules = RulesSummarySerializer()


class RegistrationSerializer(serializers.Serializer):
    account_number = serializers.CharField(max_length=32, label=gettext_lazy("account number"))
    email = serializers.EmailField(label=gettext_lazy("e-mail"))
    proof = serializers.CharField(max_length=40, label=gettext_lazy("proof"),
                                  help_text="What GET /register/ names in `proof`.")
    accept_rules = serializers.BooleanField(
        help_text="Must be true: the resident accepts the rules from GET /register/.")
    email_notices = serializers.BooleanField(default=False)
    sms_notices = serializers.BooleanField(default=False)

    def validate_accept_rules(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError(_("You need to accept the rules to register."))
        return value


def _proof(method: str) -> dict | None:
    if method not in PROOF_FIELDS:
        return None
    label, help_text, input_mode = PROOF_FIELDS[method]
    return {"label": label, "help_text": help_text, "input_mode": input_mode}


class RegistrationView(PublicAPIView):
    throttle_scope = "auth"

    @extend_schema(tags=["registration"], responses={200: RegistrationInfoSerializer},
                   summary="How this utility registers residents, and the rules to accept")
    def get(self, request):
        config = identity_settings_get()
        rules = identity.rules_default_ensure()
        return Response(RegistrationInfoSerializer({
            "method": config.registration_method,
            "self_service": config.registration_method != RegistrationMethod.OFFICE,
            "proof": _proof(config.registration_method),
            "office_instructions": config.office_instructions,
            "rules": {"number": rules.number, "title": rules.title}}).data)

    @extend_schema(tags=["registration"], request=RegistrationSerializer,
                   responses={202: DetailSerializer},
                   summary="Register: the password (or a link) is e-mailed")
    def post(self, request):
        config = identity_settings_get()
        if config.registration_method == RegistrationMethod.OFFICE:
            raise _office_only(linking=False)
        data = valid_data(RegistrationSerializer, request)
        outcome = identity.resident_register(
            account_number=data["account_number"], email=data["email"], proof=data["proof"],
            rules_version=identity.rules_default_ensure(), email_notices=data["email_notices"],
            sms_notices=data["sms_notices"], ip=client_ip(request),
            language=get_language())  # the app's Accept-Language
        if not outcome.ok:
            raise _refused_or_wait(outcome)
        return _detail(_("Check your e-mail: we have sent what you need to log in."))


# --- passwords --------------------------------------------------------------------------

class ResetRequestSerializer(serializers.Serializer):
    account_number = serializers.CharField(max_length=32, label=gettext_lazy("account number"))
    email = serializers.EmailField(label=gettext_lazy("e-mail"))


class PasswordResetView(PublicAPIView):
    throttle_scope = "auth"

    @extend_schema(tags=["passwords"], request=ResetRequestSerializer,
                   responses={202: DetailSerializer},
                   summary="Send a password reset link (same answer whether or not it matched)")
    def post(self, request):
        data = valid_data(ResetRequestSerializer, request)
        wait = identity.password_reset_request(account_number=data["account_number"],
                                               email=data["email"], ip=client_ip(request))
        if wait:
            raise TooManyAttempts(wait=wait)
        return _detail(_("If the account number and e-mail match a registered login, we have "
                         "sent a link to set a new password. The link works once and for a "
                         "limited time."))


class PasswordSetSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["reset", "setup"],
                                   help_text="From the e-mailed link /password/<kind>/...")
    uid = serializers.CharField(max_length=64, help_text="The link's <uid> part")
    token = serializers.CharField(max_length=100, help_text="The link's <token> part")
    new_password = _password_field()


def _link_uid(value: str) -> int | None:
    try:
        return int(force_str(urlsafe_base64_decode(value)))
    except (ValueError, TypeError, OverflowError):
        return None


class PasswordSetView(PublicAPIView):
    throttle_scope = "auth"

    @extend_schema(tags=["passwords"], request=PasswordSetSerializer,
                   responses={200: DetailSerializer},
                   summary="Set a password with an e-mailed reset or setup link")
    def post(self, request):
        data = valid_data(PasswordSetSerializer, request)
        user = identity.password_link_user(kind=data["kind"], uid=_link_uid(data["uid"]),
                                           token=data["token"])
        if user is None:
            raise InputRefused(
                {"token": [_("The link is invalid or has expired. Ask for a new one.")]},
                "invalid_link")
        _new_password_check(data["new_password"], user)
        identity.password_set_by_link(user=user, new_password=data["new_password"],
                                      ip=client_ip(request))
        return _detail(_("Your password is set. Log in with it now."), status.HTTP_200_OK)


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(max_length=128, trim_whitespace=False,
                                         label=gettext_lazy("old password"))
    new_password = _password_field()


class PasswordChangeView(ResidentAPIView):
    gate_exempt = True

    @extend_schema(tags=["passwords"], request=PasswordChangeSerializer,
                   responses={200: TokenPairSerializer},
                   summary="Change the password: every device is signed out, this one gets "
                           "a new token pair")
    def post(self, request):
        data = valid_data(PasswordChangeSerializer, request)
        user = request.user
        if not user.check_password(data["old_password"]):
            raise exceptions.ValidationError({"old_password": [
                _("Your old password was entered incorrectly. Please enter it again.")]})
        _new_password_check(data["new_password"], user)
        device = self.device_session.device_name
        identity.password_change(user=user, new_password=data["new_password"],
                                 keep_session_key=None, ip=client_ip(request))
        issued = device_session_create(user=user, device_name=device)
        return Response(TokenPairSerializer(token_pair(issued)).data)


# --- linked accounts --------------------------------------------------------------------

class AccountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    address = serializers.CharField()
    current = serializers.BooleanField()


class AccountSwitchSerializer(serializers.Serializer):
    account_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


class AccountLinkSerializer(serializers.Serializer):
    account_number = serializers.CharField(max_length=32, label=gettext_lazy("account number"))
    proof = serializers.CharField(max_length=40, label=gettext_lazy("proof"))


def _accounts(resident) -> list[dict]:
    current = resident_current_account(resident=resident)
    return [{"id": account.pk, "number": account.number, "address": account.address,
             "current": current is not None and account.pk == current.pk}
            for account in resident_accounts(resident=resident)]


class AccountListView(ResidentAPIView):

    @extend_schema(tags=["accounts"], responses={200: AccountSerializer(many=True)},
                   summary="Accounts linked to this login; `current` is the one shown")
    def get(self, request):
        return Response(AccountSerializer(_accounts(self.resident), many=True).data)


class AccountSwitchView(ResidentAPIView):
    @extend_schema(tags=["accounts"], request=AccountSwitchSerializer,
                   responses={200: AccountSerializer(many=True)},
                   summary="Switch the current account (404 if not linked to this login)")
    def post(self, request):
        data = valid_data(AccountSwitchSerializer, request)
        identity.resident_account_switch(resident=self.resident, account_id=data["account_id"])
        return Response(AccountSerializer(_accounts(self.resident), many=True).data)


class AccountLinkView(ResidentAPIView):
    throttle_scope = "auth"

    @extend_schema(tags=["accounts"], request=AccountLinkSerializer,
                   responses={201: AccountSerializer(many=True)},
                   summary="Link another account, proven the way registration is")
    def post(self, request):
        if identity_settings_get().registration_method == RegistrationMethod.OFFICE:
            raise _office_only(linking=True)
        data = valid_data(AccountLinkSerializer, request)
        outcome = identity.resident_account_link(
            resident=self.resident, account_number=data["account_number"],
            proof=data["proof"], ip=client_ip(request))
        if not outcome.ok:
            raise _refused_or_wait(outcome)
        return Response(AccountSerializer(_accounts(self.resident), many=True).data,
                        status=status.HTTP_201_CREATED)


# --- rules ------------------------------------------------------------------------------

class RulesSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    title = serializers.CharField(help_text="In the same language as the text.")
    text = serializers.CharField(help_text="In the request's language when available.")
    published_at = serializers.DateTimeField(allow_null=True)


class RulesAcceptanceSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    accepted = serializers.BooleanField()


class RulesAcceptSerializer(serializers.Serializer):
    accept = serializers.BooleanField()

    def validate_accept(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError(_("You need to accept the rules to continue."))
        return value


def _rules_version():
    return rules_current() or identity.rules_default_ensure()


class RulesView(PublicAPIView):
    @extend_schema(tags=["rules"], responses={200: RulesSerializer},
                   summary="The current service rules")
    def get(self, request):
        version = _rules_version()
        return Response(RulesSerializer({
            "number": version.number, "title": rules_title(version, get_language()),
            "text": rules_text(version, get_language()),
            "published_at": version.published_at}).data)


class RulesAcceptanceView(ResidentAPIView):
    gate_exempt = True

    @extend_schema(tags=["rules"], responses={200: RulesAcceptanceSerializer},
                   summary="Has this resident accepted the current rules?")
    def get(self, request):
        version = _rules_version()
        return Response({"number": version.number,
                         "accepted": rules_accepted(resident=self.resident, version=version)})

    @extend_schema(tags=["rules"], request=RulesAcceptSerializer,
                   responses={200: RulesAcceptanceSerializer},
                   summary="Accept the current rules")
    def post(self, request):
        valid_data(RulesAcceptSerializer, request)
        version = _rules_version()
        identity.rules_accept(resident=self.resident, version=version, ip=client_ip(request))
        return Response({"number": version.number, "accepted": True})


# --- settings ---------------------------------------------------------------------------

class SettingsSerializer(serializers.Serializer):
    email = serializers.CharField(allow_blank=True,
                                  help_text="The login's; change it with POST /settings/email/.")
    contact_phone = serializers.CharField(
        allow_blank=True, help_text="The mobile number SMS go to, as +7XXXXXXXXXX; empty when "
                                    "none was given (SMS then go to the billing system's).")
    paperless_receipt = serializers.BooleanField(
        help_text="Receipts by e-mail instead of paper.")
    email_reading_receipt = serializers.BooleanField(
        help_text="E-mail a receipt when readings are submitted.")
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        help_text="The language of the resident's e-mails and SMS. API answers follow the "
                  "request's Accept-Language.")
    languages = LanguageSerializer(many=True, help_text="What `language` accepts.")
    email_notices = serializers.BooleanField(help_text="Consent to notices by e-mail.")
    sms_notices = serializers.BooleanField(help_text="Consent to notices by SMS.")
    consent_at = serializers.DateTimeField(allow_null=True,
                                           help_text="When the consent last changed.")


class SettingsInSerializer(serializers.Serializer):
    # PUT needs the two consents (what it always took); whatever else is left out keeps
    # its saved value. PATCH needs nothing.
    contact_phone = serializers.CharField(
        required=False, allow_blank=True, max_length=20, label=gettext_lazy("mobile phone"),
        help_text="Any common spelling of a Russian mobile number; empty removes it.")
    paperless_receipt = serializers.BooleanField(required=False)
    email_reading_receipt = serializers.BooleanField(required=False)
    language = serializers.ChoiceField(
        required=False, choices=settings.LANGUAGES,
        error_messages={"invalid_choice": LANGUAGE_UNKNOWN})
    email_notices = serializers.BooleanField()
    sms_notices = serializers.BooleanField(
        help_text="True needs a `contact_phone`, or billing's number for one of the accounts.")


class EmailChangeSerializer(serializers.Serializer):
    new_email = serializers.EmailField(label=gettext_lazy("new e-mail"))
    password = serializers.CharField(max_length=128, trim_whitespace=False,
                                     label=gettext_lazy("password"))


class SettingsView(ResidentAPIView):
    @extend_schema(tags=["settings"], responses={200: SettingsSerializer},
                   summary="The resident's settings, as the web settings page shows them")
    def get(self, request):
        return Response(_settings_out(request.user))

    @extend_schema(tags=["settings"], request=SettingsInSerializer,
                   responses={200: SettingsSerializer},
                   summary="Save settings: email_notices and sms_notices required, anything "
                           "left out keeps its value")
    def put(self, request):
        return self._save(request, partial=False)

    @extend_schema(tags=["settings"], request=SettingsInSerializer,
                   responses={200: SettingsSerializer},
                   summary="Change some settings; anything left out keeps its value")
    def patch(self, request):
        return self._save(request, partial=True)

    def _save(self, request, *, partial: bool) -> Response:
        data = valid_data(SettingsInSerializer, request, partial=partial)
        for api_name, name in (("email_notices", "email_enabled"),
                               ("sms_notices", "sms_enabled")):
            if api_name in data:
                data[name] = data.pop(api_name)
        # The settings page's service: its checks, its messages, its side effects.
        preferences_change(user=request.user, ip=client_ip(request), **data)
        return Response(_settings_out(request.user))


def _settings_out(user) -> dict:
    shown = resident_settings(user=user)
    return SettingsSerializer({
        "email": shown.email, "contact_phone": shown.contact_phone,
        "paperless_receipt": shown.paperless_receipt,
        "email_reading_receipt": shown.email_reading_receipt, "language": shown.language,
        "languages": [{"code": code, "name": str(name)} for code, name in settings.LANGUAGES],
        "email_notices": shown.email_enabled, "sms_notices": shown.sms_enabled,
        "consent_at": shown.consent_at}).data


class EmailChangeView(ResidentAPIView):
    @extend_schema(tags=["settings"], request=EmailChangeSerializer,
                   responses={202: DetailSerializer},
                   summary="Change the e-mail: a confirmation link goes to the new address")
    def post(self, request):
        data = valid_data(EmailChangeSerializer, request)
        if not request.user.check_password(data["password"]):
            raise exceptions.ValidationError(
                {"password": [_("The password is not correct.")]})
        identity.email_change_request(user=request.user, new_email=data["new_email"],
                                      ip=client_ip(request))
        return _detail(_("We have sent a confirmation link to %(email)s. Your current address "
                         "has been told about the request.") % {"email": data["new_email"]})
