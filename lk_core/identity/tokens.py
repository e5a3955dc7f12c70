"""One-time links: password reset, first password ("set your password") and e-mail change.

Password links use Django's token generator: the token hashes the password and last login,
so it dies once used; each kind has its own salt and lifetime."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing
from django.utils.http import base36_to_int


class TimedTokenGenerator(PasswordResetTokenGenerator):
    def __init__(self, key_salt: str, timeout_setting: str, default_timeout: int):
        super().__init__()
        self.key_salt = key_salt
        self.timeout_setting = timeout_setting
        self.default_timeout = default_timeout

    @property
    def timeout(self) -> int:
        return int(getattr(settings, self.timeout_setting, self.default_timeout))

    def check_token(self, user, token, *, timeout: int | None = None) -> bool:
        # Django checks its own PASSWORD_RESET_TIMEOUT; ours may be shorter or longer.
        if not (user and token) or not self._signature_ok(user, token):
            return False
        age = self._num_seconds(self._now()) - base36_to_int(token.split("-")[0])
        return age <= (self.timeout if timeout is None else timeout)

    def _signature_ok(self, user, token) -> bool:
        try:
            ts = base36_to_int(token.split("-")[0])
        except ValueError:
            return False
        return any(signing.constant_time_compare(
            self._make_token_with_timestamp(user, ts, secret), token)
            for secret in [self.secret, *self.secret_fallbacks])


reset_tokens = TimedTokenGenerator("lk_core.identity.reset", "IDENTITY_RESET_LINK_SECONDS",
                                   60 * 60)
# The first-password link lives as long as an initial password would (the tenant setting
# decides; the service passes it when checking).
setup_tokens = TimedTokenGenerator("lk_core.identity.setup", "IDENTITY_SETUP_LINK_SECONDS",
                                   72 * 3600)

EMAIL_CHANGE_SALT = "lk_core.identity.email_change"
EMAIL_CHANGE_MAX_AGE = 24 * 3600


def email_change_token(*, user_id: int, old_email: str, new_email: str) -> str:
    return signing.dumps({"u": user_id, "o": old_email, "n": new_email}, salt=EMAIL_CHANGE_SALT)


def email_change_read(token: str) -> dict | None:
    try:
        return signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=EMAIL_CHANGE_MAX_AGE)
    except signing.BadSignature:
        return None
