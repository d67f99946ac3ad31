#!/usr/bin/python3
"""A test double of AWS STS: a real HTTPS server on 127.0.0.1.

It speaks STS's Query API (AssumeRole, GetSessionToken, GetCallerIdentity),
checks SigV4 signatures with botocore (an implementation independent of the
one under test), checks TOTP codes like an IAM virtual MFA device (RFC 6238,
each code accepted once), and answers with AWS's own XML shapes, error codes
and messages. A control API under /_test/ (no signature) lets tests read
fresh or wrong codes, see what was issued and asked, inject faults, move the
server clock and switch the region off. At /federation it also answers
the console sign-in endpoint (getSigninToken, login) for the credentials it
issued.

Usage: test_sts.py --cert server.pem --key server.key --users users.json
                   [--port 0] [--port-file FILE] [--region eu-west-1]
                   [--totp-window 1] [--max-skew 300] [--log FILE]
                   [--credential-lifetime SECONDS] [--no-pad-values]
                   [--plain-http]
"""

import argparse
import base64
import email.utils
import datetime
import hashlib
import hmac
import http.cookies
import http.server
import json
import os
import random
import re
import secrets
import signal
import socket
import ssl
import string
import struct
import sys
import threading
import time
import urllib.parse
import uuid
from xml.sax.saxutils import escape

import botocore.auth
import botocore.awsrequest
import botocore.credentials

NS = "https://sts.amazonaws.com/doc/2011-06-15/"
API_VERSION = "2011-06-15"
MAX_BODY = 64 * 1024
TOTP_STEP = 30
ROLE_CHAIN_LIMIT = 3600
AMZ_DATE = "%Y%m%dT%H%M%SZ"
ISO_8601 = "%Y-%m-%dT%H:%M:%SZ"

MSG_BAD_SIGNATURE = (
    "The request signature we calculated does not match the signature you "
    "provided. Check your AWS Secret Access Key and signing method. Consult "
    "the service documentation for details.")
MSG_INVALID_TOKEN = "The security token included in the request is invalid."
MSG_EXPIRED_TOKEN = "The security token included in the request is expired"
MSG_BAD_REGION = "Credential should be scoped to a valid region. "
# AWS answers a code already used with the same text as a wrong one (seen
# in aws-cli #2279, 1Password/shell-plugins #180, terraform-provider-aws
# #3885): a client cannot tell them apart from the answer. It can only never
# send a code twice itself and, on this answer, say "wrong or already used:
# wait for the next code". The control API's request records tell tests
# which one it was ("mfa": "invalid" or "reused").
MSG_MFA_INVALID = "MultiFactorAuthentication failed with invalid MFA one time pass code. "
# AWS's text, two spaces after "code." included.
MSG_MFA_UNKNOWN_SERIAL = (
    "MultiFactorAuthentication failed, unable to validate MFA code.  Please "
    "verify your MFA serial number is valid and associated with this user.")
MSG_MFA_BOTH = ("MultiFactorAuthentication failed, must provide both MFA "
                "serial number and one time pass code.")
MSG_CHAINING = ("The requested DurationSeconds exceeds the 1 hour session "
                "limit for roles assumed by role chaining.")
MSG_ROLE_MAX = ("The requested DurationSeconds exceeds the MaxSessionDuration "
                "set for this role.")
MSG_GST_SESSION = "Cannot call GetSessionToken with session credentials"
MSG_REGION_DISABLED = (
    "STS is not activated in this region for account:{account}. Your account "
    "administrator can activate STS in this region using the IAM Console.")

FAULT_MODES = {
    "delay", "slow-body", "status", "throttle", "truncated", "garbage", "huge",
    "drop", "error", "error-in-200", "wrong-content-type", "missing-fields",
    "doctype", "bad-chars", "past-expiration", "missing-token",
}
# The sign-in (federation) endpoint's actions, served at /federation. A fault
# reaches them only when it names one in action=, so a fault set for STS is
# never used up by a sign-in request (and the other way round).
FEDERATION_PATH = "/federation"
# A stand-in console page: a destination under it, followed after login with
# the cookie login sets, answers with the role session signed in.
CONSOLE_PATH = "/console"
CONSOLE_COOKIE = "test-console-session"
FEDERATION_ACTIONS = {"getSigninToken", "login"}
FEDERATION_FAULT_MODES = {
    "delay", "slow-body", "status", "truncated", "garbage", "huge", "drop",
    "error", "wrong-content-type", "missing-token",
}
FEDERATION_FAULTS_INSTEAD_OF_ANSWER = {
    "status", "garbage", "huge", "drop", "error", "wrong-content-type",
    "missing-token",
}
SIGNIN_TOKEN_LIFETIME = 900
CONSOLE_DURATION_MIN = 900
CONSOLE_DURATION_MAX = 43200
# Faults answered without looking at the request; the others shape or
# delay the real answer.
FAULTS_INSTEAD_OF_ANSWER = {
    "status", "throttle", "garbage", "huge", "drop", "error", "error-in-200",
    "wrong-content-type", "doctype",
}
NAME_RE = re.compile(r"[\w+=,.@-]*\Z", re.ASCII)
SERIAL_RE = re.compile(r"[\w+=/:,.@-]*\Z", re.ASCII)
DIGITS_RE = re.compile(r"[0-9]*\Z")


class StsError(Exception):
    """An answer in AWS's ErrorResponse shape."""

    def __init__(self, http_status, code, message, mfa=None):
        super().__init__(message)
        self.http_status = http_status
        self.code = code
        self.message = message
        self.mfa = mfa

    @property
    def fault_type(self):
        return "Receiver" if self.http_status >= 500 else "Sender"


def validation_error(field, value, constraint):
    shown = "null" if value is None else "'%s'" % value
    return StsError(400, "ValidationError",
                    "1 validation error detected: Value %s at '%s' failed to "
                    "satisfy constraint: %s" % (shown, field, constraint))


def iso8601(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(ISO_8601)


def amz_date(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(AMZ_DATE)


def stable_id(prefix, text, length=21):
    digest = hashlib.sha256(text.encode()).digest()
    alphabet = string.ascii_uppercase + string.digits
    body = "".join(alphabet[b % len(alphabet)] for b in digest)
    return prefix + body[:length - len(prefix)]


def random_chars(alphabet, n):
    return "".join(secrets.choice(alphabet) for _ in range(n))


def totp_code(seed, step):
    key = base64.b32decode(seed.upper() + "=" * (-len(seed) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return "%06d" % (value % 1000000)


class Caller:
    """Who signed a request: an IAM user's long-term key, GetSessionToken
    credentials (kind "session") or an assumed role's credentials."""

    def __init__(self, kind, user, access_key_id, mfa, arn, user_id, account,
                 role_arn=None):
        self.kind = kind
        self.user = user
        self.access_key_id = access_key_id
        self.mfa = mfa
        self.arn = arn
        self.user_id = user_id
        self.account = account
        self.role_arn = role_arn

    @property
    def temporary(self):
        return self.kind != "user"

    @property
    def principal(self):
        """The name a role's trust list holds for this caller."""
        return self.role_arn if self.kind == "role" else self.user


class State:
    """Fixture, issued credentials, used codes, records and test settings."""

    def __init__(self, fixture, opts):
        self.lock = threading.Lock()
        self.opts = opts
        self.account = fixture.get("account", "111111111111")
        self.users = {u["name"]: u for u in fixture["users"]}
        self.users_by_key = {u["access_key_id"]: u for u in fixture["users"]}
        self.roles = {r["arn"]: r for r in fixture["roles"]}
        self.reset()

    def reset(self):
        with self.lock:
            self.issued = {}          # access key id -> record
            self.issued_order = []
            self.used_steps = {}      # user -> {step: code}
            self.requests = []
            self.faults = []
            self.signin_tokens = {}   # token -> record
            self.signin_order = []
            self.logins = []
            self.federation_requests = []
            self.console_sessions = {}  # cookie value -> login record
            self.clock_offset = 0.0
            self.region_disabled = False

    def now(self):
        return time.time() + self.clock_offset

    def user_arn(self, name):
        return "arn:aws:iam::%s:user/%s" % (self.account, name)

    # --- TOTP --------------------------------------------------------------

    def window_steps(self):
        now_step = int(self.now() // TOTP_STEP)
        w = self.opts.totp_window
        # Current step first, then the future ones (valid longest), then the past.
        return [now_step] + [now_step + d for d in range(1, w + 1)] + \
               [now_step - d for d in range(1, w + 1)]

    def _prune_used(self, user):
        used = self.used_steps.setdefault(user, {})
        oldest = int(self.now() // TOTP_STEP) - self.opts.totp_window - 1
        for step in [s for s in used if s < oldest]:
            del used[step]
        return used

    def check_mfa_code(self, user, code):
        """Accepts code once; raises StsError otherwise. Caller holds no lock."""
        seed = self.users[user]["mfa_seed"]
        with self.lock:
            used = self._prune_used(user)
            matched = [s for s in self.window_steps() if totp_code(seed, s) == code]
            if not matched:
                raise StsError(403, "AccessDenied", MSG_MFA_INVALID, mfa="invalid")
            if any(s in used for s in matched) or code in used.values():
                raise StsError(403, "AccessDenied", MSG_MFA_INVALID, mfa="reused")
            used[matched[0]] = code

    def fresh_code(self, user):
        """A code valid now that was never accepted, and how long it stays valid."""
        seed = self.users[user]["mfa_seed"]
        with self.lock:
            used = self._prune_used(user)
            for step in self.window_steps():
                code = totp_code(seed, step)
                if step not in used and code not in used.values():
                    last_valid = (step + self.opts.totp_window + 1) * TOTP_STEP
                    return code, max(0, int(last_valid - self.now()))
        return None, 0

    def wrong_code(self, user):
        seed = self.users[user]["mfa_seed"]
        with self.lock:
            steps = self.window_steps()
            near = {totp_code(seed, s) for s in range(min(steps) - 2, max(steps) + 3)}
            near.update(self._prune_used(user).values())
        while True:
            code = "%06d" % random.SystemRandom().randrange(1000000)
            if code not in near:
                return code

    # --- faults ------------------------------------------------------------

    def take_fault(self, action, federation=False):
        with self.lock:
            for fault in self.faults:
                wanted = fault.get("action")
                if (wanted is None and federation) or wanted not in (None, action):
                    continue
                if fault.get("count") is not None:
                    fault["count"] -= 1
                    if fault["count"] <= 0:
                        self.faults.remove(fault)
                return dict(fault)
        return None

    # --- records -----------------------------------------------------------

    def record_issued(self, record):
        with self.lock:
            self.issued[record["access_key_id"]] = record
            self.issued_order.append(record)

    def record_request(self, entry):
        with self.lock:
            self.requests.append(entry)

    def record_signin_token(self, record):
        with self.lock:
            self.signin_tokens[record["token"]] = record
            self.signin_order.append(record)

    def record_login(self, record):
        with self.lock:
            self.logins.append(record)

    def record_federation_request(self, entry):
        with self.lock:
            self.federation_requests.append(entry)

    def public_signin_tokens(self):
        with self.lock:
            return [{k: v for k, v in r.items() if k != "issued_at"}
                    for r in self.signin_order]

    def public_issued(self):
        keys = ("action", "user", "role_arn", "session_name", "duration",
                "source_identity", "tags", "access_key_id", "secret_access_key",
                "session_token", "expiration", "request_id", "mfa_serial",
                "token_code", "caller_access_key_id", "mfa")
        with self.lock:
            return [{k: r.get(k) for k in keys} for r in self.issued_order]


# --- signature -------------------------------------------------------------

def parse_authorization(value):
    if not value.startswith("AWS4-HMAC-SHA256 "):
        raise StsError(400, "IncompleteSignature",
                       "Authorization header must use the AWS4-HMAC-SHA256 algorithm.")
    fields = {}
    for part in value[len("AWS4-HMAC-SHA256 "):].split(","):
        key, _, val = part.strip().partition("=")
        fields[key] = val
    for need in ("Credential", "SignedHeaders", "Signature"):
        if not fields.get(need):
            raise StsError(400, "IncompleteSignature",
                           "Authorization header requires '%s' parameter." % need)
    scope = fields["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        raise StsError(400, "IncompleteSignature",
                       "Credential must have exactly 5 slash-delimited elements, "
                       "e.g. keyid/date/region/service/term, got '%s'" % fields["Credential"])
    return scope, fields["SignedHeaders"].split(";"), fields["Signature"]


def check_skew(state, date_text):
    try:
        signed_at = datetime.datetime.strptime(date_text, AMZ_DATE).replace(
            tzinfo=datetime.timezone.utc).timestamp()
    except ValueError:
        raise StsError(400, "IncompleteSignature",
                       "Date must be in ISO-8601 'basic format'. Got '%s'." % date_text)
    now = state.now()
    skew = state.opts.max_skew
    minutes = "%d min." % (skew // 60)
    if signed_at < now - skew:
        raise StsError(403, "SignatureDoesNotMatch",
                       "Signature expired: %s is now earlier than %s (%s - %s)"
                       % (date_text, amz_date(now - skew), amz_date(now), minutes))
    if signed_at > now + skew:
        raise StsError(403, "SignatureDoesNotMatch",
                       "Signature not yet current: %s is still later than %s (%s + %s)"
                       % (date_text, amz_date(now + skew), amz_date(now), minutes))


def find_caller(state, access_key_id, token):
    user = state.users_by_key.get(access_key_id)
    if user is not None:
        if not user.get("active", True):
            raise StsError(403, "InvalidClientTokenId", MSG_INVALID_TOKEN)
        name = user["name"]
        return user["secret_access_key"], Caller(
            "user", name, access_key_id, False, state.user_arn(name),
            stable_id("AIDA", name), state.account)
    with state.lock:
        record = state.issued.get(access_key_id)
    if record is None or token is None or \
            not hmac.compare_digest(token.encode(), record["session_token"].encode()):
        raise StsError(403, "InvalidClientTokenId", MSG_INVALID_TOKEN)
    if state.now() >= record["expires_at"]:
        raise StsError(403, "ExpiredToken", MSG_EXPIRED_TOKEN)
    return record["secret_access_key"], record["caller"]


def authenticate(state, handler, body):
    """Returns the Caller of a correctly signed request, else raises StsError."""
    auth = handler.headers.get("Authorization")
    if not auth:
        raise StsError(403, "MissingAuthenticationToken",
                       "Request is missing Authentication Token")
    scope, signed_names, signature = parse_authorization(auth)
    access_key_id, scope_date, region, service, _ = scope
    date_text = handler.headers.get("X-Amz-Date")
    if not date_text:
        raise StsError(400, "IncompleteSignature",
                       "Authorization header requires existence of either a "
                       "'X-Amz-Date' or a 'Date' header.")
    if region != state.opts.region:
        raise StsError(403, "SignatureDoesNotMatch", MSG_BAD_REGION)
    if service != "sts":
        raise StsError(403, "SignatureDoesNotMatch",
                       "Credential should be scoped to correct service: 'sts'. ")
    token = handler.headers.get("X-Amz-Security-Token")
    secret, caller = find_caller(state, access_key_id, token)
    check_skew(state, date_text)
    if scope_date != date_text[:8]:
        raise StsError(403, "SignatureDoesNotMatch",
                       "Date in Credential scope does not match YYYYMMDD from "
                       "ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'."
                       % (scope_date, date_text[:8], date_text))
    lower_names = [n.lower() for n in signed_names]
    if "host" not in lower_names:
        raise StsError(403, "SignatureDoesNotMatch",
                       "'Host' or ':authority' must be a 'SignedHeader' in the "
                       "AWS Authorization.")
    content_sha = handler.headers.get("X-Amz-Content-SHA256")
    if content_sha is not None and content_sha != hashlib.sha256(body).hexdigest():
        raise StsError(403, "SignatureDoesNotMatch", MSG_BAD_SIGNATURE)
    expected = botocore_signature(handler, body, lower_names, access_key_id,
                                  secret, token, date_text, region)
    if expected is None or not hmac.compare_digest(expected, signature):
        raise StsError(403, "SignatureDoesNotMatch", MSG_BAD_SIGNATURE)
    return caller


def botocore_signature(handler, body, signed_names, access_key_id, secret,
                       token, date_text, region):
    """The signature botocore computes over exactly the signed headers."""
    host = handler.headers.get("Host") or "127.0.0.1"
    request = botocore.awsrequest.AWSRequest(
        method=handler.command, url="https://%s%s" % (host, handler.path), data=body)
    for name in signed_names:
        values = handler.headers.get_all(name)
        if not values:
            return None
        for value in values:
            request.headers[name] = value
    request.context["timestamp"] = date_text
    creds = botocore.credentials.ReadOnlyCredentials(access_key_id, secret, token)
    signer = botocore.auth.SigV4Auth(creds, "sts", region)
    canonical = signer.canonical_request(request)
    return signer.signature(signer.string_to_sign(request, canonical), request)


# --- the three actions -----------------------------------------------------

def check_name(field, value, required):
    if value is None:
        if required:
            raise validation_error(field, None, "Member must not be null")
        return
    if len(value) < 2:
        raise validation_error(field, value, "Member must have length greater than or equal to 2")
    if len(value) > 64:
        raise validation_error(field, value, "Member must have length less than or equal to 64")
    if not NAME_RE.match(value):
        raise validation_error(field, value,
                               "Member must satisfy regular expression pattern: [\\w+=,.@-]*")


def check_mfa_fields(serial, code):
    if serial is not None:
        if len(serial) < 9:
            raise validation_error("serialNumber", serial,
                                   "Member must have length greater than or equal to 9")
        if len(serial) > 256:
            raise validation_error("serialNumber", serial,
                                   "Member must have length less than or equal to 256")
        if not SERIAL_RE.match(serial):
            raise validation_error("serialNumber", serial,
                                   "Member must satisfy regular expression pattern: [\\w+=/:,.@-]*")
    if code is not None:
        if len(code) < 6:
            raise validation_error("tokenCode", code,
                                   "Member must have length greater than or equal to 6")
        if len(code) > 6:
            raise validation_error("tokenCode", code,
                                   "Member must have length less than or equal to 6")
        if not DIGITS_RE.match(code):
            raise validation_error("tokenCode", code,
                                   "Member must satisfy regular expression pattern: [\\d]*")


def parse_duration(params, default, highest):
    text = params.get("DurationSeconds")
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise StsError(400, "MalformedInput",
                       "Value '%s' for DurationSeconds is not a valid integer." % text)
    if value < 900:
        raise validation_error("durationSeconds", value,
                               "Member must have value greater than or equal to 900")
    if value > highest:
        raise validation_error("durationSeconds", value,
                               "Member must have value less than or equal to %d" % highest)
    return value


def parse_tags(params):
    tags = []
    n = 1
    while "Tags.member.%d.Key" % n in params:
        tags.append({"Key": params["Tags.member.%d.Key" % n],
                     "Value": params.get("Tags.member.%d.Value" % n, "")})
        n += 1
    if len(tags) > 50:
        raise validation_error("tags", "[...]", "Member must have length less than or equal to 50")
    return tags


def verify_mfa(state, caller, serial, code):
    """True when the request proves MFA now; raises on a bad attempt."""
    if (serial is None) != (code is None):
        raise StsError(403, "AccessDenied", MSG_MFA_BOTH, mfa="incomplete")
    if serial is None:
        return False
    if caller.kind == "role" or state.users[caller.user]["mfa_serial"] != serial:
        raise StsError(403, "AccessDenied", MSG_MFA_UNKNOWN_SERIAL, mfa="wrong-serial")
    state.check_mfa_code(caller.user, code)
    return True


def new_credentials(state, duration, fault):
    now = state.now()
    lifetime = duration
    if state.opts.credential_lifetime:
        lifetime = min(lifetime, state.opts.credential_lifetime)
    expires_at = now + lifetime
    if fault and fault["mode"] == "past-expiration":
        expires_at = now - 3600
    secret = random_chars(string.ascii_letters + string.digits + "/+", 40)
    token = "IQoJb3JpZ2luX2Vj" + base64.b64encode(
        secrets.token_bytes(random.randint(260, 500))).decode()
    if fault and fault["mode"] == "bad-chars":
        evil = "\n'\"$(touch /tmp/x)"
        secret = secret[:12] + evil + secret[12:]
        token = token[:40] + evil + token[40:]
    return {
        "access_key_id": "ASIA" + random_chars(string.ascii_uppercase + string.digits, 16),
        "secret_access_key": secret,
        "session_token": token,
        "expires_at": expires_at,
        "expiration": iso8601(expires_at),
        "duration": duration,
    }


def credentials_xml(state, creds, fault):
    def value(text):
        text = escape(text)
        return "\n        %s\n      " % text if state.opts.pad_values else text
    lines = ["    <Credentials>",
             "      <AccessKeyId>%s</AccessKeyId>" % value(creds["access_key_id"]),
             "      <SecretAccessKey>%s</SecretAccessKey>" % value(creds["secret_access_key"])]
    if not (fault and fault["mode"] == "missing-fields"):
        lines.append("      <SessionToken>%s</SessionToken>" % value(creds["session_token"]))
    lines.append("      <Expiration>%s</Expiration>" % value(creds["expiration"]))
    lines.append("    </Credentials>")
    return lines


def wrap_response(action, result_lines, request_id):
    return "\n".join(
        ['<%sResponse xmlns="%s">' % (action, NS), "  <%sResult>" % action]
        + result_lines
        + ["  </%sResult>" % action, "  <ResponseMetadata>",
           "    <RequestId>%s</RequestId>" % request_id, "  </ResponseMetadata>",
           "</%sResponse>" % action, ""])


def assume_role(state, caller, params, ctx):
    role_arn = params.get("RoleArn")
    if role_arn is None:
        raise validation_error("roleArn", None, "Member must not be null")
    if not 20 <= len(role_arn) <= 2048:
        raise validation_error("roleArn", role_arn,
                               "Member must have length greater than or equal to 20")
    session_name = params.get("RoleSessionName")
    check_name("roleSessionName", session_name, True)
    duration = parse_duration(params, ROLE_CHAIN_LIMIT, 43200)
    source_identity = params.get("SourceIdentity")
    check_name("sourceIdentity", source_identity, False)
    tags = parse_tags(params)
    serial, code = params.get("SerialNumber"), params.get("TokenCode")
    check_mfa_fields(serial, code)
    ctx["token_code"] = code
    mfa_now = verify_mfa(state, caller, serial, code)
    ctx["mfa"] = "accepted" if mfa_now else None
    role = state.roles.get(role_arn)
    if role is None or caller.principal not in role.get("trust", []) or \
            (role.get("require_mfa", True) and not (mfa_now or caller.mfa)):
        raise StsError(403, "AccessDenied",
                       "User: %s is not authorized to perform: sts:AssumeRole on "
                       "resource: %s" % (caller.arn, role_arn))
    if caller.temporary and duration > ROLE_CHAIN_LIMIT:
        raise StsError(400, "ValidationError", MSG_CHAINING)
    if duration > role.get("max_session_duration", 3600):
        raise StsError(400, "ValidationError", MSG_ROLE_MAX)

    fault = ctx["fault"]
    creds = new_credentials(state, duration, fault)
    role_account = role_arn.split(":")[4]
    role_name = role_arn.split("/")[-1]
    role_id = stable_id("AROA", role_arn)
    assumed_arn = "arn:aws:sts::%s:assumed-role/%s/%s" % (role_account, role_name, session_name)
    assumed_id = "%s:%s" % (role_id, session_name)
    # Role sessions made with MFA (or from an MFA session) carry MFA context.
    role_caller = Caller("role", caller.user, creds["access_key_id"],
                         mfa_now or caller.mfa, assumed_arn, assumed_id, role_account,
                         role_arn="arn:aws:iam::%s:role/%s" % (role_account, role_name))
    state.record_issued(dict(
        creds, action="AssumeRole", user=caller.user, role_arn=role_arn,
        session_name=session_name, source_identity=source_identity, tags=tags,
        request_id=ctx["request_id"], mfa_serial=serial, token_code=code,
        caller_access_key_id=caller.access_key_id, mfa=role_caller.mfa,
        caller=role_caller, chained=caller.temporary))
    lines = []
    if source_identity is not None:
        lines.append("    <SourceIdentity>%s</SourceIdentity>" % escape(source_identity))
    lines += ["    <AssumedRoleUser>",
              "      <AssumedRoleId>%s</AssumedRoleId>" % escape(assumed_id),
              "      <Arn>%s</Arn>" % escape(assumed_arn),
              "    </AssumedRoleUser>"]
    lines += credentials_xml(state, creds, fault)
    if tags:
        lines.append("    <PackedPolicySize>%d</PackedPolicySize>" % min(100, 3 * len(tags)))
    return wrap_response("AssumeRole", lines, ctx["request_id"])


def get_session_token(state, caller, params, ctx):
    duration = parse_duration(params, 43200, 129600)
    serial, code = params.get("SerialNumber"), params.get("TokenCode")
    check_mfa_fields(serial, code)
    ctx["token_code"] = code
    if caller.temporary:
        raise StsError(403, "AccessDenied", MSG_GST_SESSION)
    mfa_now = verify_mfa(state, caller, serial, code)
    ctx["mfa"] = "accepted" if mfa_now else None
    fault = ctx["fault"]
    creds = new_credentials(state, duration, fault)
    session_caller = Caller("session", caller.user, creds["access_key_id"], mfa_now,
                            caller.arn, caller.user_id, caller.account)
    state.record_issued(dict(
        creds, action="GetSessionToken", user=caller.user, role_arn=None,
        session_name=None, source_identity=None, tags=[],
        request_id=ctx["request_id"], mfa_serial=serial, token_code=code,
        caller_access_key_id=caller.access_key_id, mfa=mfa_now,
        caller=session_caller))
    return wrap_response("GetSessionToken", credentials_xml(state, creds, fault),
                         ctx["request_id"])


def get_caller_identity(state, caller, params, ctx):
    return wrap_response("GetCallerIdentity", [
        "    <Arn>%s</Arn>" % escape(caller.arn),
        "    <UserId>%s</UserId>" % escape(caller.user_id),
        "    <Account>%s</Account>" % escape(caller.account),
    ], ctx["request_id"])


ACTIONS = {
    "AssumeRole": assume_role,
    "GetSessionToken": get_session_token,
    "GetCallerIdentity": get_caller_identity,
}


# --- the sign-in (federation) endpoint --------------------------------------
# AWS IAM User Guide, "Enable custom identity broker access to the AWS
# console": getSigninToken turns role credentials into a SigninToken, and
# login with that token (valid 15 minutes) redirects into the console.

class FederationError(Exception):
    """A refusal: an HTTP status and a short plain-text body, as AWS's
    sign-in endpoint answers with a short error page, not JSON."""

    def __init__(self, http_status, message):
        super().__init__(message)
        self.http_status = http_status
        self.message = message


def parse_session(text):
    """The Session parameter: JSON with sessionId, sessionKey, sessionToken."""
    if text is None:
        raise FederationError(400, "Missing parameter: Session")
    try:
        session = json.loads(text)
    except ValueError:
        raise FederationError(400, "Session is not valid JSON")
    if not isinstance(session, dict):
        raise FederationError(400, "Session is not a JSON object")
    for key in ("sessionId", "sessionKey", "sessionToken"):
        if not isinstance(session.get(key), str) or not session[key]:
            raise FederationError(400, "Session has no string %s" % key)
    return session


def parse_console_duration(params):
    text = params.get("SessionDuration")
    if text is None:
        return None
    if not DIGITS_RE.match(text) or not text:
        raise FederationError(400, "SessionDuration is not a number of seconds")
    value = int(text)
    if not CONSOLE_DURATION_MIN <= value <= CONSOLE_DURATION_MAX:
        raise FederationError(400, "SessionDuration must be between %d and %d seconds"
                              % (CONSOLE_DURATION_MIN, CONSOLE_DURATION_MAX))
    return value


def session_credentials(state, session):
    """The issued record the Session's credentials belong to, else raises."""
    with state.lock:
        record = state.issued.get(session["sessionId"])
    if record is None:
        raise FederationError(400, "Unknown sessionId: the credentials were not issued by this STS")
    if not hmac.compare_digest(session["sessionKey"].encode(),
                               record["secret_access_key"].encode()):
        raise FederationError(400, "sessionKey does not match the sessionId")
    if not hmac.compare_digest(session["sessionToken"].encode(),
                               record["session_token"].encode()):
        raise FederationError(400, "sessionToken does not match the sessionId")
    if state.now() >= record["expires_at"]:
        raise FederationError(400, "The credentials in Session have expired")
    if record["action"] != "AssumeRole":
        raise FederationError(400, "Credentials from %s cannot sign in to the console; "
                              "use role credentials" % record["action"])
    return record


def get_signin_token(state, params, entry):
    session = parse_session(params.get("Session"))
    entry["access_key_id"] = session["sessionId"]
    duration = parse_console_duration(params)
    entry["session_duration"] = duration
    record = session_credentials(state, session)
    if duration is not None and record["chained"]:
        raise FederationError(400, "SessionDuration is not supported for credentials "
                              "from role chaining")
    token = base64.urlsafe_b64encode(secrets.token_bytes(480)).decode().rstrip("=")
    now = state.now()
    state.record_signin_token({
        "token": token, "access_key_id": record["access_key_id"], "user": record["user"],
        "role_arn": record["role_arn"], "assumed_role_arn": record["caller"].arn,
        "session_name": record["session_name"], "session_duration": duration,
        "chained": record["chained"], "time": iso8601(now), "issued_at": now})
    return json.dumps({"SigninToken": token}, separators=(",", ":"))


def federation_login(state, params, login):
    token = params.get("SigninToken")
    destination = params.get("Destination")
    login.update(issuer=params.get("Issuer"), destination=destination)
    if not token:
        raise FederationError(400, "Missing parameter: SigninToken")
    with state.lock:
        record = state.signin_tokens.get(token)
    if record is None:
        raise FederationError(400, "Unknown SigninToken")
    login.update(role_arn=record["role_arn"], session_name=record["session_name"],
                 assumed_role_arn=record["assumed_role_arn"])
    if state.now() - record["issued_at"] > SIGNIN_TOKEN_LIFETIME:
        raise FederationError(400, "The SigninToken has expired (it is valid for 15 minutes)")
    parts = urllib.parse.urlsplit(destination or "")
    if any(ord(c) < 0x21 or ord(c) == 0x7f for c in destination or ""):
        raise FederationError(400, "Destination holds a control character or a space")
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise FederationError(400, "Destination is not an http(s) URL")
    return destination


def fault_unfit(mode, action):
    """Why a fault mode cannot apply to that action, or None."""
    if action in FEDERATION_ACTIONS:
        if mode not in FEDERATION_FAULT_MODES:
            return ("fault mode %r does not apply to the sign-in endpoint; it knows: %s"
                    % (mode, " ".join(sorted(FEDERATION_FAULT_MODES))))
        if mode == "missing-token" and action != "getSigninToken":
            return "fault mode 'missing-token' needs action=getSigninToken"
    elif mode == "missing-token":
        return "fault mode 'missing-token' needs action=getSigninToken"
    return None


def error_xml(err, request_id):
    return "\n".join([
        '<ErrorResponse xmlns="%s">' % NS,
        "  <Error>",
        "    <Type>%s</Type>" % err.fault_type,
        "    <Code>%s</Code>" % escape(err.code),
        "    <Message>%s</Message>" % escape(err.message),
        "  </Error>",
        "  <RequestId>%s</RequestId>" % request_id,
        "</ErrorResponse>", ""])


def billion_laughs():
    lines = ['<?xml version="1.0"?>', "<!DOCTYPE lolz [", '  <!ENTITY lol "lol">']
    for i in range(1, 10):
        prev = "&lol%s;" % ("" if i == 1 else i - 1)
        lines.append('  <!ENTITY lol%d "%s">' % (i, prev * 10))
    lines += ["]>", '<AssumeRoleResponse xmlns="%s">' % NS, "  <AssumeRoleResult>",
              "    <Credentials>", "      <AccessKeyId>&lol9;</AccessKeyId>",
              "    </Credentials>", "  </AssumeRoleResult>", "</AssumeRoleResponse>", ""]
    return "\n".join(lines)


# --- HTTP ------------------------------------------------------------------

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120

    def version_string(self):
        return "AmazonSTS-test"

    def date_time_string(self, timestamp=None):
        # The Date header shows the server's clock, offset included, as AWS's
        # shows AWS's: clients measure their skew from it.
        return email.utils.formatdate(self.state.now() if timestamp is None else timestamp,
                                      usegmt=True)

    @property
    def state(self):
        return self.server.state

    def log_message(self, fmt, *args):
        self.server.log("%s %s" % (self.client_address[0], fmt % args))

    def log_request(self, code="-", size="-"):
        pass  # STS requests are logged with their outcome instead

    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_DELETE(self):
        self.dispatch()

    def dispatch(self):
        try:
            body = self.read_body()
        except StsError as err:
            self.close_connection = True
            self.send_body(err.http_status, error_xml(err, str(uuid.uuid4())).encode())
            return
        if self.path.startswith("/_test/"):
            self.control(body)
        elif urllib.parse.urlsplit(self.path).path == FEDERATION_PATH:
            self.federation(body)
        elif urllib.parse.urlsplit(self.path).path.startswith(CONSOLE_PATH):
            self.console()
        else:
            self.sts(body)

    def read_body(self):
        if self.headers.get("Transfer-Encoding"):
            raise StsError(411, "MissingContentLength",
                           "Send the request with a Content-Length header.")
        length = self.headers.get("Content-Length", "0")
        if not length.isdigit():
            raise StsError(400, "MalformedInput", "Content-Length is not a number.")
        if int(length) > MAX_BODY:
            raise StsError(413, "RequestEntityTooLarge",
                           "The request body is larger than %d bytes." % MAX_BODY)
        return self.rfile.read(int(length)) if int(length) else b""

    def send_body(self, status, body, content_type="text/xml", request_id=None,
                  length=None):
        self.send_response(status)
        self.send_header("x-amzn-RequestId", request_id or str(uuid.uuid4()))
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    # --- STS ---

    def sts(self, body):
        request_id = str(uuid.uuid4())
        if self.command == "POST":
            params = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace"),
                                                 keep_blank_values=True))
        else:
            params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query,
                                                 keep_blank_values=True))
        action = params.get("Action")
        fault = self.state.take_fault(action)
        ctx = {"request_id": request_id, "fault": fault, "token_code": None, "mfa": None}
        entry = {"action": action, "access_key_id": self.access_key_id(),
                 "token_code": params.get("TokenCode"), "status": None,
                 "error_code": None, "request_id": request_id,
                 "time": iso8601(self.state.now()), "fault": fault and fault["mode"],
                 "mfa": None}
        if fault and fault["mode"] in FAULTS_INSTEAD_OF_ANSWER:
            entry["status"] = self.fault_status(fault)
            self.state.record_request(entry)
            self.server.log("%s %s fault=%s" % (action, request_id, fault["mode"]))
            self.answer_fault(fault, request_id, action)
            return
        try:
            status, text = 200, self.answer(params, body, action, ctx)
        except StsError as err:
            status, text = err.http_status, error_xml(err, request_id)
            entry["error_code"] = err.code
            entry["mfa"] = err.mfa or ctx["mfa"]
        else:
            entry["mfa"] = ctx["mfa"]
        entry["status"] = status
        self.state.record_request(entry)
        self.server.log("%s %s %s %d %s" % (action, entry["access_key_id"], request_id,
                                            status, entry["error_code"] or "OK"))
        self.send_answer(status, text.encode(), request_id, fault)

    def access_key_id(self):
        m = re.search(r"Credential=([^/,\s]+)/", self.headers.get("Authorization", ""))
        return m.group(1) if m else None

    def answer(self, params, body, action, ctx):
        if self.state.region_disabled:
            raise StsError(403, "RegionDisabledException",
                           MSG_REGION_DISABLED.format(account=self.state.account))
        caller = authenticate(self.state, self, body)
        if action is None:
            raise StsError(400, "MissingAction", "Missing Action")
        version = params.get("Version")
        if version is None:
            raise StsError(400, "MissingParameter",
                           "The request must contain the parameter Version")
        if action not in ACTIONS or version != API_VERSION:
            raise StsError(400, "InvalidAction",
                           "Could not find operation %s for version %s" % (action, version))
        return ACTIONS[action](self.state, caller, params, ctx)

    def send_answer(self, status, body, request_id, fault):
        mode = fault and fault["mode"]
        if mode == "delay":
            time.sleep(float(fault.get("seconds", 5)))
        if mode == "truncated":
            self.close_connection = True
            self.send_response(status)
            self.send_header("x-amzn-RequestId", request_id)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            return
        if mode == "slow-body":
            self.send_slowly(status, body, request_id, float(fault.get("interval", 1)))
            return
        self.send_body(status, body, request_id=request_id)

    def send_slowly(self, status, body, request_id, interval):
        self.send_response(status)
        self.send_header("x-amzn-RequestId", request_id)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.flush()
        try:
            for i in range(len(body)):
                time.sleep(interval)
                self.wfile.write(body[i:i + 1])
                self.wfile.flush()
        except OSError:
            self.close_connection = True

    def answer_fault(self, fault, request_id, action):
        mode = fault["mode"]
        if mode == "drop":
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if mode == "huge":
            self.send_huge(int(fault.get("bytes", 100 * 1024 * 1024)), request_id, action)
            return
        if mode == "garbage":
            data = secrets.token_bytes(int(fault.get("bytes", 4096)))
            self.send_body(200, data, request_id=request_id)
            return
        if mode == "wrong-content-type":
            data = json.dumps({"%sResponse" % (action or "Unknown"): {
                "ResponseMetadata": {"RequestId": request_id}}}).encode()
            self.send_body(int(fault.get("http", 200)), data, "text/html", request_id)
            return
        if mode == "doctype":
            self.send_body(int(fault.get("http", 200)), billion_laughs().encode(),
                           request_id=request_id)
            return
        err = self.fault_error(fault)
        status = 200 if mode == "error-in-200" else err.http_status
        self.send_body(status, error_xml(err, request_id).encode(), request_id=request_id)

    @classmethod
    def fault_status(cls, fault):
        mode = fault["mode"]
        if mode == "drop":
            return 0
        if mode in ("status", "throttle", "error"):
            return cls.fault_error(fault).http_status
        return int(fault.get("http", 200)) if mode in ("wrong-content-type", "doctype") else 200

    @staticmethod
    def fault_error(fault):
        mode = fault["mode"]
        if mode == "throttle":
            return StsError(400, "Throttling", "Rate exceeded")
        http_status = int(fault.get("http", 500 if mode == "status" else 400))
        if mode == "status":
            code = fault.get("code") or ("ServiceUnavailable" if http_status == 503
                                         else "InternalFailure")
            message = fault.get("message") or (
                "Service Unavailable" if http_status == 503 else
                "An internal error has occurred")
            return StsError(http_status, code, message)
        if mode == "error-in-200":
            return StsError(int(fault.get("http", 403)), fault.get("code", "AccessDenied"),
                            fault.get("message", "Access denied"))
        return StsError(http_status, fault.get("code", "InvalidParameterValue"),
                        fault.get("message", "Test error"))

    def send_huge(self, size, request_id, action):
        head = ('<%sResponse xmlns="%s">\n  <%sResult>\n    <Credentials>\n'
                '      <SessionToken>' % (action, NS, action)).encode()
        self.stream_huge(head, size, "text/xml", {"x-amzn-RequestId": request_id})

    def stream_huge(self, head, size, content_type, headers=None):
        """200 with SIZE bytes: HEAD, then 'A's (the client should give up early)."""
        self.close_connection = True
        self.send_response(200)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(size))
        self.end_headers()
        chunk = b"A" * 65536
        try:
            self.wfile.write(head[:size])
            left = size - min(size, len(head))
            while left > 0:
                self.wfile.write(chunk[:left])
                left -= min(left, len(chunk))
            self.wfile.flush()
        except OSError:
            pass

    # --- sign-in (federation) endpoint ---

    def federation(self, body):
        params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query,
                                             keep_blank_values=True))
        if self.command == "POST":
            params.update(urllib.parse.parse_qsl(body.decode("utf-8", "replace"),
                                                 keep_blank_values=True))
        action = params.get("Action")
        fault = self.state.take_fault(action, federation=True)
        entry = {"action": action, "method": self.command, "access_key_id": None,
                 "session_duration": None, "status": None, "error": None,
                 "fault": fault and fault["mode"], "time": iso8601(self.state.now())}
        if fault and fault["mode"] in FEDERATION_FAULTS_INSTEAD_OF_ANSWER:
            entry["status"] = self.federation_fault_status(fault)
            self.state.record_federation_request(entry)
            self.server.log("federation %s fault=%s" % (action, fault["mode"]))
            self.answer_federation_fault(fault)
            return
        headers = {}
        try:
            status, content_type, text = self.federation_answer(params, action, entry, headers)
        except FederationError as err:
            status, content_type, text = err.http_status, "text/plain; charset=utf-8", \
                err.message + "\n"
            entry["error"] = err.message
        entry["status"] = status
        self.state.record_federation_request(entry)
        # Never the token or the secret: the log shows who and what only.
        self.server.log("federation %s %s %d %s" % (action, entry["access_key_id"], status,
                                                    entry["error"] or "OK"))
        self.send_federation(status, text.encode(), content_type, fault, headers)

    def federation_answer(self, params, action, entry, headers):
        if self.command not in ("GET", "POST"):
            raise FederationError(405, "Use GET or POST")
        if action == "getSigninToken":
            return 200, "application/json", get_signin_token(self.state, params, entry)
        if action == "login":
            login = {"token": params.get("SigninToken"), "issuer": None, "destination": None,
                     "ok": False, "role_arn": None, "session_name": None,
                     "assumed_role_arn": None, "time": iso8601(self.state.now())}
            try:
                headers["Location"] = federation_login(self.state, params, login)
            finally:
                login["ok"] = "Location" in headers
                self.state.record_login(login)
            cookie = secrets.token_urlsafe(32)
            with self.state.lock:
                self.state.console_sessions[cookie] = login
            headers["Set-Cookie"] = "%s=%s; Path=/; Secure; HttpOnly" % (CONSOLE_COOKIE, cookie)
            return 302, "text/plain; charset=utf-8", "Redirecting\n"
        raise FederationError(400, "Unknown Action %r: use getSigninToken or login"
                              % (action or ""))

    def send_federation(self, status, body, content_type, fault, headers):
        mode = fault and fault["mode"]
        if mode == "delay":
            time.sleep(float(fault.get("seconds", 5)))
        if mode in ("truncated", "slow-body"):
            self.send_shaped(status, body, content_type, fault)
            return
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def send_shaped(self, status, body, content_type, fault):
        """The answer cut in half (truncated) or one byte at a time (slow-body)."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.flush()
        try:
            if fault["mode"] == "truncated":
                self.close_connection = True
                self.wfile.write(body[:len(body) // 2])
                self.wfile.flush()
                return
            for i in range(len(body)):
                time.sleep(float(fault.get("interval", 1)))
                self.wfile.write(body[i:i + 1])
                self.wfile.flush()
        except OSError:
            self.close_connection = True

    def console(self):
        """The stand-in console page: who the login's cookie signed in as."""
        cookies = http.cookies.SimpleCookie()
        try:
            cookies.load(self.headers.get("Cookie", ""))
        except http.cookies.CookieError:
            pass
        morsel = cookies.get(CONSOLE_COOKIE)
        with self.state.lock:
            login = self.state.console_sessions.get(morsel.value) if morsel else None
        if login is None:
            self.send_body(403, b"Not signed in: open the sign-in link first\n",
                           "text/plain; charset=utf-8")
            return
        text = "Signed in as %s\nrole %s\nsession %s\n" % (
            login["assumed_role_arn"], login["role_arn"], login["session_name"])
        self.send_body(200, text.encode(), "text/plain; charset=utf-8")

    @staticmethod
    def federation_fault_status(fault):
        mode = fault["mode"]
        if mode == "drop":
            return 0
        if mode == "status":
            return int(fault.get("http", 500))
        if mode == "error":
            return int(fault.get("http", 400))
        return 200

    def answer_federation_fault(self, fault):
        mode = fault["mode"]
        status = self.federation_fault_status(fault)
        if mode == "drop":
            self.answer_fault(fault, None, None)
        elif mode == "huge":
            self.send_huge_json(int(fault.get("bytes", 100 * 1024 * 1024)))
        elif mode == "garbage":
            self.send_body(200, secrets.token_bytes(int(fault.get("bytes", 4096))),
                           "application/json")
        elif mode == "wrong-content-type":
            token = base64.urlsafe_b64encode(secrets.token_bytes(480)).decode().rstrip("=")
            self.send_body(200, json.dumps({"SigninToken": token}).encode(), "text/html")
        elif mode == "missing-token":
            self.send_body(200, b"{}", "application/json")
        else:
            default = {500: "Internal Server Error", 503: "Service Unavailable"}.get(
                status, "Test error")
            message = fault.get("message") or default
            self.send_body(status, (message + "\n").encode(), "text/plain; charset=utf-8")

    def send_huge_json(self, size):
        self.stream_huge(b'{"SigninToken":"', size, "application/json")

    # --- control API ---

    def control(self, body):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        try:
            data = json.loads(body) if body else {}
            status, answer = self.control_answer(self.command, url.path[len("/_test/"):],
                                                 query, data)
        except (ValueError, TypeError, KeyError) as err:
            status, answer = 400, {"error": "bad control request: %s" % err}
        self.send_body(status, (json.dumps(answer) + "\n").encode(), "application/json")

    def control_answer(self, method, what, query, data):
        state = self.state
        if (method, what) == ("GET", "health"):
            return 200, {"ok": True, "region": state.opts.region}
        if (method, what) in (("GET", "totp"), ("GET", "wrong-code")):
            user = query.get("user")
            if user not in state.users:
                return 404, {"error": "no user %r in the fixture" % user}
            if what == "wrong-code":
                return 200, {"code": state.wrong_code(user)}
            code, valid_for = state.fresh_code(user)
            if code is None and query.get("wait"):
                time.sleep(TOTP_STEP - state.now() % TOTP_STEP + 0.1)
                code, valid_for = state.fresh_code(user)
            if code is None:
                return 409, {"error": "every code of the window was already accepted for %s; "
                                      "wait for the next 30 s step (add wait=1) or start the "
                                      "server with a larger --totp-window" % user}
            return 200, {"code": code, "valid_for": valid_for}
        if (method, what) == ("GET", "issued"):
            return 200, state.public_issued()
        if (method, what) == ("GET", "requests"):
            with state.lock:
                return 200, list(state.requests)
        if (method, what) == ("GET", "signin-tokens"):
            return 200, state.public_signin_tokens()
        if (method, what) == ("GET", "logins"):
            with state.lock:
                return 200, list(state.logins)
        if (method, what) == ("GET", "federation-requests"):
            with state.lock:
                return 200, list(state.federation_requests)
        if (method, what) == ("POST", "fault"):
            if data.get("mode") not in FAULT_MODES:
                return 400, {"error": "unknown fault mode %r; known: %s"
                                      % (data.get("mode"), " ".join(sorted(FAULT_MODES)))}
            unfit = fault_unfit(data.get("mode"), data.get("action"))
            if unfit:
                return 400, {"error": unfit}
            fault = dict(data)
            fault["count"] = int(fault["count"]) if fault.get("count") is not None else None
            with state.lock:
                state.faults.append(fault)
            return 200, {"ok": True, "fault": fault}
        if (method, what) == ("DELETE", "fault"):
            with state.lock:
                state.faults = []
            return 200, {"ok": True}
        if (method, what) == ("POST", "clock"):
            with state.lock:
                state.clock_offset = float(data["offset"])
            return 200, {"ok": True, "offset": state.clock_offset}
        if (method, what) == ("POST", "region-disabled"):
            with state.lock:
                state.region_disabled = bool(data.get("on", True))
            return 200, {"ok": True, "on": state.region_disabled}
        if (method, what) == ("POST", "reset"):
            state.reset()
            return 200, {"ok": True}
        return 404, {"error": "no control call %s /_test/%s" % (method, what)}


class StsServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address, state, ssl_context, log_path):
        self.state = state
        self.ssl_context = ssl_context
        self.log_lock = threading.Lock()
        self.log_file = open(log_path, "a", buffering=1) if log_path else None
        super().__init__(address, Handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        if self.ssl_context is not None:
            # The handshake runs on first read, in the connection's own thread.
            sock = self.ssl_context.wrap_socket(sock, server_side=True,
                                                do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request, client_address):
        err = sys.exc_info()[1]
        self.log("%s connection error: %s: %s" % (client_address[0],
                                                 type(err).__name__, err))

    def log(self, line):
        if self.log_file is None:
            return
        with self.log_lock:
            self.log_file.write("%s %s\n" % (iso8601(time.time()), line))


def parse_args(argv):
    p = argparse.ArgumentParser(description="A test double of AWS STS over HTTPS.")
    p.add_argument("--cert", help="server certificate (PEM)")
    p.add_argument("--key", help="server key (PEM)")
    p.add_argument("--plain-http", action="store_true", help="serve plain HTTP (no TLS)")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--port-file", help="write the port here once listening")
    p.add_argument("--users", required=True, help="users fixture (JSON)")
    p.add_argument("--region", default="eu-west-1")
    p.add_argument("--totp-window", type=int, default=1)
    p.add_argument("--max-skew", type=int, default=300)
    p.add_argument("--credential-lifetime", type=int, default=0,
                   help="cap every issued credential's lifetime (seconds)")
    p.add_argument("--pad-values", dest="pad_values", action="store_true", default=True)
    p.add_argument("--no-pad-values", dest="pad_values", action="store_false")
    p.add_argument("--log", help="append one line per request here")
    opts = p.parse_args(argv)
    if not opts.plain_http and not (opts.cert and opts.key):
        p.error("--cert and --key are required (or --plain-http)")
    return opts


def main(argv):
    opts = parse_args(argv)
    with open(opts.users) as f:
        state = State(json.load(f), opts)
    context = None
    if not opts.plain_http:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(opts.cert, opts.key)
    server = StsServer(("127.0.0.1", opts.port), state, context, opts.log)
    port = server.server_address[1]

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    if opts.port_file:
        tmp = "%s.%d.tmp" % (opts.port_file, os.getpid())
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, opts.port_file)
    server.log("listening on %s://127.0.0.1:%d region %s"
               % ("http" if opts.plain_http else "https", port, opts.region))
    server.serve_forever(poll_interval=0.2)
    server.server_close()
    server.log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
