"""Jengu settings: everything comes from the environment or a .env file (.env.example).

Nothing here raises on a bad value: infra.config records the problem and the
``jengu.E001`` system check reports it by variable name (secrets are never echoed).
The one exception is a missing SECRET_KEY with DEBUG off: no process starts.

With DEBUG off these are the production settings; the test suite runs them through
``jengu.settings_test`` (a throwaway key, plain HTTP), ``make demo`` with DEBUG=1.
"""

import datetime as dt
import ipaddress
import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from infra.config import config_error, fernet_keys, host_list, read_smtp_inboxes

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _read(variable, cast, default):
    try:
        return cast(variable, default=default)
    except (ValueError, ImproperlyConfigured) as exc:
        config_error(variable, f"cannot be read as {cast.__name__} ({type(exc).__name__})")
        return default


DEBUG = _read("DEBUG", env.bool, False)
# The one setting that raises instead of reporting: everything signed (sessions, CSRF,
# unsubscribe links) would be forgeable with a key that is in the repository. The demo
# (DEBUG on) runs on that public key; with DEBUG off no process starts without a real one.
# Blank values (as in a copied .env.example) mean "use the default".
DEVELOPMENT_SECRET_KEY = "insecure-dev-key-change-me-in-production"
SECRET_KEY = env.str("SECRET_KEY", default="")
if SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    SECRET_KEY = ""  # copied from the repository: as good as none
if not SECRET_KEY and DEBUG:
    SECRET_KEY = DEVELOPMENT_SECRET_KEY
elif not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set (or is the public development key). With DEBUG off Jengu refuses to start "
        "without it: set SECRET_KEY to a long random string, e.g. the output of "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`. DEBUG=1 is for the demo only."
    )
# Key rotation: the new key in SECRET_KEY, the retired ones here (comma-separated), so
# sessions and the unsubscribe links in mail already sent keep working; drop a key from
# this list only when what it signed may stop working (at once, if it leaked).
SECRET_KEY_FALLBACKS = _read("SECRET_KEY_FALLBACKS", env.list, [])
if DEVELOPMENT_SECRET_KEY in SECRET_KEY_FALLBACKS:
    # a fallback verifies signatures too: the public key there would let anyone sign
    config_error("SECRET_KEY_FALLBACKS", "contains the public development key (ignored)")
    SECRET_KEY_FALLBACKS = [key for key in SECRET_KEY_FALLBACKS if key != DEVELOPMENT_SECRET_KEY]
ALLOWED_HOSTS = _read("ALLOWED_HOSTS", env.list, ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = _read("CSRF_TRUSTED_ORIGINS", env.list, [])
VAR_DIR = Path(env.str("JENGU_VAR_DIR", default="") or BASE_DIR / "var")

INSTALLED_APPS = [
    "jengu.apps.JenguAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_countries",
    "constance",
    "django_q",
    "axes",  # login throttling (jengu.admin_login)
    "django_otp",
    "django_otp.plugins.otp_totp",  # the admin's second factor (jengu.admin_login)
    "infra",
    "prospects",
    "outreach",
    "replies",
    "jengu",
]

MIDDLEWARE = [
    "infra.metrics.RequestLatencyMiddleware",  # first: times the whole request (/metrics)
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "jengu.admin_login.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: it answers a locked-out login
]

ROOT_URLCONF = "jengu.urls"
WSGI_APPLICATION = "jengu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database: SQLite file by default (zero set-up), PostgreSQL in production -------
_default_db = f"sqlite:///{VAR_DIR / 'jengu.sqlite3'}"
_database_url = env.str("DATABASE_URL", default="") or _default_db
if _database_url.split(":", 1)[0] not in environ.Env.DB_SCHEMES:
    config_error("DATABASE_URL", "unknown scheme; use postgres://… or sqlite:///…")
    DATABASES = {"default": {"ENGINE": "django.db.backends.dummy"}}
else:
    DATABASES = {"default": env.db_url_config(_database_url)}
if DATABASES["default"].get("ENGINE", "").endswith("sqlite3"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # several worker processes write to the demo database: wait for locks, don't fail
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
elif "CONN_MAX_AGE" not in DATABASES["default"] or not DATABASES["default"]["CONN_MAX_AGE"]:
    # PostgreSQL: keep a connection per process for a minute (a new one per request
    # halved the API's throughput); the health check drops connections the server closed
    DATABASES["default"]["CONN_MAX_AGE"] = _read("DB_CONN_MAX_AGE", env.int, 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache and broker --------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# One named q2 queue per pipeline stage (infra.stages.QUEUES). A small install runs them
# all with `manage.py run_workers`; at scale run `Q_CLUSTER_NAME=<queue> manage.py
# qcluster` per queue on as many machines as needed. `retry` must exceed the longest
# stage timeout, or a slow task is handed to a second worker while the first still runs.
Q_TIMEOUT = _read("JENGU_Q_TIMEOUT", env.int, 300)
Q_CLUSTER = {
    "name": "jengu",  # the signing salt: identical in every process
    "orm": "default",
    "workers": _read("JENGU_Q_WORKERS", env.int, 2),
    "timeout": Q_TIMEOUT,
    "retry": _read("JENGU_Q_RETRY", env.int, Q_TIMEOUT + 60),
    "max_attempts": 3,  # broker re-deliveries of a task whose worker died
    "ack_failures": True,  # a failed attempt is retried by infra.stages, not re-delivered
    "catch_up": False,
    "save_limit": 1000,
    "poll": 0.5,
    "ALT_CLUSTERS": {queue: {} for queue in ["enrichment", "research", "composition", "sending", "reply"]},
}
if REDIS_URL:
    Q_CLUSTER.pop("orm")
    Q_CLUSTER["redis"] = REDIS_URL
# Back-off before attempt 2 and 3 of a failed stage; the sweeper's margin over a stage
# timeout before a claim counts as stale.
STAGE_RETRY_DELAYS = _read("JENGU_STAGE_RETRY_DELAYS", env.list, ["30", "300"])
STAGE_RETRY_DELAYS = [int(d) for d in STAGE_RETRY_DELAYS if str(d).isdigit()] or [30, 300]
STAGE_SWEEP_MARGIN = 60
JENGU_TASKS_SYNC = False  # tests run tasks inline

# --- live settings (editable in the admin: Live settings) ---------------------------
CONSTANCE_BACKEND = "constance.backends.database.DatabaseBackend"
CONSTANCE_SUPERUSER_ONLY = False  # the Operations group edits live settings
CONSTANCE_CONFIG = {
    "SENDING_ENABLED": (True, "Master switch. Off = emergency stop: no new send starts.", bool),
    "EMAIL_VERIFICATION_THRESHOLD": (0.9, "Minimum verifier quality for an address to count as verified.", float),
    "RANDOM_SKIP_PROBABILITY": (0.3, "Chance an inbox lets its turn pass without sending (a person's rhythm).", float),
    "INBOX_MIN_GAP_SECONDS": (180, "Shortest gap between two sends of one inbox.", int),
    "INBOX_SPREAD_HOURS": (
        8.0,
        "Hours over which an inbox spreads its day's cap: its mean gap is this × (1 − skip) ÷ (cap × health × "
        "reputation), so 20 emails come about 17 minutes apart.",
        float,
    ),
    "BOUNCE_RATE_PAUSE_THRESHOLD": (0.05, "Hard-bounce rate over 28 days that pauses an inbox.", float),
    "COMPLAINT_RATE_HALVE_THRESHOLD": (
        0.001,
        "Spam-complaint rate of a sending domain over 28 days above which its inboxes send half their daily cap.",
        float,
    ),
    "COMPLAINT_RATE_PAUSE_THRESHOLD": (
        0.003,
        "Spam-complaint rate of a sending domain over 28 days above which its inboxes are paused.",
        float,
    ),
    "COMPLAINT_RATE_MIN_SENDS": (
        500,
        "Sends a domain needs in 28 days before its complaint rate halves or pauses anything.",
        int,
    ),
    "SEND_MAX_ATTEMPTS": (5, "Sender runs in which no provider accepts an email before it fails for good.", int),
    "FOLLOW_UP_DAYS": (
        "3,7,14",
        "Follow-up days after the first email that a new campaign starts with (each campaign keeps its own).",
        str,
    ),
    "WARMUP_SCHEDULE": ("5,10,15,18,20", "Daily cap per warmup week; after the last week the inbox's ceiling.", str),
    "WARMUP_JITTER": (True, "Vary each inbox's daily cap by up to ±10% so volume does not look machine-made.", bool),
    "SAME_DOMAIN_GAP_MINUTES": (120, "Minimum gap between two emails from the pool to one company domain.", int),
    "PERSONAL_DATA_RETENTION_MONTHS": (
        24,
        "Months without activity (email, reply, stage change, edit, consent) after which a prospect's personal "
        "data is anonymised by the daily retention job; its address stays only as a suppression hash. 0 = off.",
        int,
    ),
    # operational tables, pruned by the daily job jengu.retention_ops (0 = keep forever)
    "EVENT_RETENTION_DAYS": (90, "Days the Event log is kept (a daily count per event name stays).", int),
    "SEND_DECISION_RETENTION_DAYS": (
        180,
        "Days send decisions and provider attempts are kept (never for an email not yet sent or failed).",
        int,
    ),
    "WEBHOOK_DELIVERY_RETENTION_DAYS": (30, "Days outbound webhook deliveries are kept (delivered or given up).", int),
    "TASK_RESULT_RETENTION_DAYS": (14, "Days the task queue's results (successes and failures) are kept.", int),
    "WEBSITE_HTML_RETENTION_DAYS": (7, "Days a fetched web page's HTML is kept (its freshness), file and row.", int),
    "DEAD_LETTER_RETENTION_DAYS": (30, "Days a dead letter is kept after someone retried or discarded it.", int),
    # replies.policy: when a reply's reading is acted on without a person
    "REPLY_AUTO_MIN_CONFIDENCE": (
        0.8,
        "Confidence a reply's reading needs to be acted on by itself when the action can be undone "
        "(interested, needs more info, meeting request: stage and sequence; out of office: a pause).",
        float,
    ),
    "REPLY_AUTO_MIN_CONFIDENCE_IRREVERSIBLE": (
        0.9,
        "Confidence a reading needs (besides evidence of a kind known to be precise) before an irreversible "
        "action (suppress, close as lost, create a prospect) happens without a person. Removal requests are "
        "always honoured.",
        float,
    ),
    # prospects.services.assignment: who gets a new positive reply, and how they hear of it
    "REPLY_ASSIGNMENT": (
        "hotel_owner",
        "Who gets a prospect whose reply is positive (interested, a meeting request) and has no owner: "
        "hotel_owner = the owner of the hotel's other prospects, else the Sales group in turn; "
        "round_robin = the Sales group in turn; off = nobody (the shared inbox).",
        "reply_assignment",
    ),
    "ASSIGNMENT_NOTIFY": (
        "alert",
        "How a salesperson hears of a prospect given to them: alert = the team's alert channel with an @mention; "
        "email = an email to their address (Django's EMAIL_* settings); both; none.",
        "assignment_notify",
    ),
}
CONSTANCE_ADDITIONAL_FIELDS = {
    "reply_assignment": [
        "django.forms.fields.ChoiceField",
        {"choices": [("hotel_owner", "hotel owner, else in turn"), ("round_robin", "in turn"), ("off", "off")]},
    ],
    "assignment_notify": [
        "django.forms.fields.ChoiceField",
        {"choices": [("alert", "alert channel"), ("email", "email"), ("both", "both"), ("none", "none")]},
    ],
}
CONSTANCE_CONFIG_FIELDSETS = {
    "Sending": (
        "SENDING_ENABLED",
        "RANDOM_SKIP_PROBABILITY",
        "INBOX_MIN_GAP_SECONDS",
        "INBOX_SPREAD_HOURS",
        "WARMUP_SCHEDULE",
        "WARMUP_JITTER",
        "SAME_DOMAIN_GAP_MINUTES",
        "BOUNCE_RATE_PAUSE_THRESHOLD",
        "COMPLAINT_RATE_HALVE_THRESHOLD",
        "COMPLAINT_RATE_PAUSE_THRESHOLD",
        "COMPLAINT_RATE_MIN_SENDS",
        "SEND_MAX_ATTEMPTS",
    ),
    "Pipeline": ("EMAIL_VERIFICATION_THRESHOLD", "FOLLOW_UP_DAYS"),
    "Personal data": ("PERSONAL_DATA_RETENTION_MONTHS",),
    "Replies": ("REPLY_AUTO_MIN_CONFIDENCE", "REPLY_AUTO_MIN_CONFIDENCE_IRREVERSIBLE"),
    "Owners": ("REPLY_ASSIGNMENT", "ASSIGNMENT_NOTIFY"),
    "Operational data retention": (
        "EVENT_RETENTION_DAYS",
        "SEND_DECISION_RETENTION_DAYS",
        "WEBHOOK_DELIVERY_RETENTION_DAYS",
        "TASK_RESULT_RETENTION_DAYS",
        "WEBSITE_HTML_RETENTION_DAYS",
        "DEAD_LETTER_RETENTION_DAYS",
    ),
}

# --- external services (a blank key means: use the offline sandbox twin) -------------
GROK_API_KEY = env.str("GROK_API_KEY", default="")
ANTHROPIC_API_KEY = env.str("ANTHROPIC_API_KEY", default="")
MILLIONVERIFIER_API_KEY = env.str("MILLIONVERIFIER_API_KEY", default="")
HUNTER_API_KEY = env.str("HUNTER_API_KEY", default="")
RESEND_API_KEY = env.str("RESEND_API_KEY", default="")
SENDGRID_API_KEY = env.str("SENDGRID_API_KEY", default="")
# The ESP webhooks (/anymail/resend|sendgrid/tracking|inbound/, jengu/esp_webhooks.py):
# Resend's svix signing secrets, SendGrid's signed-event public key and the basic-auth
# "user:password" shared by every webhook URL. A blank secret is left out (anymail skips
# that check); a URL with none of its checks configured refuses every request, and with
# DEBUG off the deployment check jengu.E010–E013 (infra/checks.py) stops `manage.py setup`.
ANYMAIL = {"RESEND_API_KEY": RESEND_API_KEY, "SENDGRID_API_KEY": SENDGRID_API_KEY}
for _key, _variable in [
    ("RESEND_SIGNING_SECRET", "RESEND_SIGNING_SECRET"),
    ("RESEND_INBOUND_SECRET", "RESEND_INBOUND_SECRET"),
    ("WEBHOOK_SECRET", "ANYMAIL_WEBHOOK_SECRET"),
    ("SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY", "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY"),
]:
    if _secret := env.str(_variable, default=""):
        ANYMAIL[_key] = _secret
del _key, _variable, _secret
# Booking webhooks (/webhooks/calcom/, /webhooks/calendly/; replies.webhooks): Cal.com's
# webhook secret (X-Cal-Signature-256) and Calendly's signing key (Calendly-Webhook-Signature).
# Unset, that endpoint refuses every call; a campaign's booking link without its secret is a
# deployment error (jengu.E050/E051).
CALCOM_WEBHOOK_SECRET = env.str("CALCOM_WEBHOOK_SECRET", default="")
CALENDLY_WEBHOOK_SIGNING_KEY = env.str("CALENDLY_WEBHOOK_SIGNING_KEY", default="")
ALERT_WEBHOOK_URL = env.str("ALERT_WEBHOOK_URL", default="")
if ALERT_WEBHOOK_URL and not ALERT_WEBHOOK_URL.startswith(("https://", "http://")):
    config_error("ALERT_WEBHOOK_URL", "must be an http(s) URL")
    ALERT_WEBHOOK_URL = ""
# the body the alert webhook gets (infra.alerts): slack {"text"}, discord {"content"}, json (every field)
ALERT_WEBHOOK_FORMAT = env.str("ALERT_WEBHOOK_FORMAT", default="") or "slack"
if ALERT_WEBHOOK_FORMAT not in ("slack", "discord", "json"):
    config_error("ALERT_WEBHOOK_FORMAT", "must be slack, discord or json")
    ALERT_WEBHOOK_FORMAT = "slack"
# Mail to staff (not to prospects: those go through the inboxes), e.g. "a prospect is yours"
# when the live setting ASSIGNMENT_NOTIFY says email (prospects.services.assignment):
# EMAIL_URL=smtp+tls://user:password@mail.example:587. Unset: the console with DEBUG, else
# localhost:25. The password is never logged (a failed send logs the error's type only).
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="") or "jengu@localhost"
# /metrics (Prometheus) wants "Authorization: Bearer <METRICS_TOKEN>"; unset it is a 404 unless DEBUG
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
SMTP_INBOXES = read_smtp_inboxes(os.environ)
# Secrets at rest (inbox passwords, webhook signing secrets; infra.encryption): Fernet
# keys, the current one first, older ones after it until `manage.py rotate_field_keys`
# has re-encrypted everything. Unset: a key derived from SECRET_KEY, for the demo and
# development only (the deployment check jengu.E040 stops `manage.py setup` without it).
FIELD_ENCRYPTION_KEYS = fernet_keys(env.str("FIELD_ENCRYPTION_KEYS", default=""))
# SMTP/IMAP hosts an inbox may talk to without TLS (infra.mail_tls): this machine only,
# where the demo's sink listens. "none": TLS everywhere. A non-loopback entry is jengu.W040.
MAIL_PLAINTEXT_HOSTS = host_list(env.str("MAIL_PLAINTEXT_HOSTS", default=""), ["127.0.0.1", "localhost", "::1"])

# --- sending -------------------------------------------------------------------------
# where recipients reach this instance (unsubscribe links); no trailing slash
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="") or "http://127.0.0.1:8000"
# an email claimed for sending longer than this is held for a human (never resent blindly)
SEND_STUCK_AFTER_SECONDS = _read("SEND_STUCK_AFTER_SECONDS", env.int, 600)
# "enforced": only inside the prospect's business hours; "ignored": the demo's fast pacing
SENDING_BUSINESS_HOURS = env.str("SENDING_BUSINESS_HOURS", default="enforced")
if SENDING_BUSINESS_HOURS not in ("enforced", "ignored"):
    config_error("SENDING_BUSINESS_HOURS", "must be 'enforced' or 'ignored'")
    SENDING_BUSINESS_HOURS = "enforced"
SANDBOX_SMTP_PORT = _read("SANDBOX_SMTP_PORT", env.int, 1025)
# the demo's pacing (set by `manage.py demo` for its own processes): no random skips,
# 2–6 s between sends, business hours not enforced. Production pacing is the default.
DEMO_PACING = _read("JENGU_DEMO_PACING", env.bool, False)
# threads of the IMAP poller: 500 inboxes must be read within the one-minute cron
IMAP_POLL_THREADS = _read("IMAP_POLL_THREADS", env.int, 48)

# --- sending-domain authentication (outreach.services.domain_auth, README "Deliverability") ---
# The resolver the DNS checks ask: IP addresses (blank: the system's, /etc/resolv.conf),
# its port, and the seconds one query may take before the check says "unknown".
DNS_NAMESERVERS = _read("DNS_NAMESERVERS", env.list, [])
try:
    DNS_NAMESERVERS = [str(ipaddress.ip_address(address.strip())) for address in DNS_NAMESERVERS if address.strip()]
except ValueError:
    config_error("DNS_NAMESERVERS", "must be IP addresses, comma-separated")
    DNS_NAMESERVERS = []
DNS_PORT = _read("DNS_PORT", env.int, 53)
DNS_TIMEOUT = _read("DNS_TIMEOUT", env.float, 5.0)
if DNS_TIMEOUT <= 0:
    config_error("DNS_TIMEOUT", "must be a positive number of seconds")
    DNS_TIMEOUT = 5.0
# DKIM selectors tried for an inbox whose own list is blank (one of them must have a key)
DKIM_SELECTORS = _read("DKIM_SELECTORS", env.list, []) or [
    "google", "selector1", "selector2", "default", "dkim", "mail", "s1", "s2", "k1"
]  # fmt: skip
# what Resend and SendGrid need in DNS when their key is set: the DKIM selectors at the
# From domain, and the Return-Path subdomain whose SPF includes them (blank: the domain itself)
RESEND_DKIM_SELECTORS = _read("RESEND_DKIM_SELECTORS", env.list, []) or ["resend"]
RESEND_RETURN_PATH = env.str("RESEND_RETURN_PATH", default="send")
SENDGRID_DKIM_SELECTORS = _read("SENDGRID_DKIM_SELECTORS", env.list, []) or ["s1", "s2"]
SENDGRID_RETURN_PATH = env.str("SENDGRID_RETURN_PATH", default="")
# a domain whose last check got no DNS answer keeps sending if it passed within this many days
DNS_UNKNOWN_GRACE_DAYS = _read("DNS_UNKNOWN_GRACE_DAYS", env.int, 3)
# Spamhaus Data Query Service key: with it, each domain (DBL) and SMTP host address (ZEN) is looked up
SPAMHAUS_DQS_KEY = env.str("SPAMHAUS_DQS_KEY", default="")

# --- cost per email (jengu.cost: the dashboard and /api/stats) ------------------------------
# US$ per 1,000 tokens, input/output, per model or per provider (a model not listed takes
# its provider's): "grok=0.0002/0.0005,claude=0.001/0.005,claude-haiku-4-5=0.001/0.005"


def _ai_prices(text: str) -> dict[str, tuple[float, float]]:
    prices = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, pair = item.partition("=")
        price_in, _, price_out = pair.partition("/")
        try:
            prices[name.strip()] = (float(price_in), float(price_out or price_in))
        except ValueError:
            config_error("AI_PRICES_PER_1K_TOKENS", f"cannot read {item[:40]!r}: use model=input/output")
    return prices


AI_PRICES_PER_1K_TOKENS = {"grok": (0.0002, 0.0005), "claude": (0.001, 0.005)} | _ai_prices(
    env.str("AI_PRICES_PER_1K_TOKENS", default="")
)
VERIFIER_PRICE_PER_CREDIT = _read("VERIFIER_PRICE_PER_CREDIT", env.float, 0.0005)
ESP_PRICE_PER_EMAIL = _read("ESP_PRICE_PER_EMAIL", env.float, 0.0004)  # Resend/SendGrid; own SMTP is fixed cost
MONTHLY_FIXED_COST = _read("MONTHLY_FIXED_COST", env.float, 0.0)  # hosting, inboxes, domains: spread per day
COST_PER_EMAIL_TARGET = _read("COST_PER_EMAIL_TARGET", env.float, 0.01)  # the reference design's target
MONTHLY_BUDGET = _read("MONTHLY_BUDGET", env.float, 80.0)  # $80 a month at 10,000 emails a day
AI_DAILY_BUDGET = _read("AI_DAILY_BUDGET", env.float, 0.0)  # 0: no alert on AI spend
VERIFIER_DAILY_BUDGET = _read("VERIFIER_DAILY_BUDGET", env.float, 0.0)  # 0: no alert on verifier spend
# where "sends today < 50 % of capacity by 15:00" is judged: the main market's time zone
MAIN_MARKET_TIMEZONE = env.str("MAIN_MARKET_TIMEZONE", default="") or "Europe/Berlin"
try:
    import zoneinfo

    zoneinfo.ZoneInfo(MAIN_MARKET_TIMEZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    config_error("MAIN_MARKET_TIMEZONE", "is not an IANA time zone (e.g. Europe/Berlin)")
    MAIN_MARKET_TIMEZONE = "Europe/Berlin"

# --- acquisition -------------------------------------------------------------------
SERPAPI_API_KEY = env.str("SERPAPI_API_KEY", default="")
# "sandbox" (bundled sample postings, no network) unless live boards are listed
ACQUISITION_SOURCES = _read("ACQUISITION_SOURCES", env.list, ["sandbox"]) or ["sandbox"]
ACQUISITION_MAX_PAGES = _read("ACQUISITION_MAX_PAGES", env.int, 10)
ACQUISITION_QUERIES = [
    ("hotel front desk manager", ""),
    ("hotel general manager", ""),
    ("hotel revenue manager", ""),
    ("hotel reservations", ""),
]

# --- enrichment and research ---------------------------------------------------------
# "sandbox" (bundled sample hotel sites and search results, no network) or "duckduckgo"
SEARCH_PROVIDER = env.str("SEARCH_PROVIDER", default="") or "sandbox"
GOOGLE_CSE_KEY = env.str("GOOGLE_CSE_KEY", default="")
GOOGLE_CSE_ID = env.str("GOOGLE_CSE_ID", default="")
# Hotel sites, links on them and webhook receivers are fetched only from public hosts
# (infra.safe_fetch). Allowing private hosts is for the test suite and the offline demo:
# without DEBUG the setting is refused (a check error) and stays off.
SAFE_FETCH_ALLOW_PRIVATE_HOSTS = _read("SAFE_FETCH_ALLOW_PRIVATE_HOSTS", env.bool, False)
if SAFE_FETCH_ALLOW_PRIVATE_HOSTS and not DEBUG:
    config_error("SAFE_FETCH_ALLOW_PRIVATE_HOSTS", "may be on only with DEBUG (the test suite and the offline demo)")
    SAFE_FETCH_ALLOW_PRIVATE_HOSTS = False

# --- composition -------------------------------------------------------------------
# SpamAssassin's spamd, asked by the spam gate when it answers (blank host: never asked;
# the built-in heuristic always runs).
SPAMD_HOST = env.str("SPAMD_HOST", default="127.0.0.1")
SPAMD_PORT = _read("SPAMD_PORT", env.int, 783)
SPAMD_TIMEOUT = 10.0  # seconds for one check; a slow spamd is skipped, not waited for

# --- imports -----------------------------------------------------------------------
IMPORT_MAX_BYTES = _read("IMPORT_MAX_MB", env.int, 20) * 1024 * 1024

# --- i18n, static, auth ------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"
LOGIN_URL = "admin:login"
# the admin's messages wait in the session, not in a cookie the browser (and anything
# reading its cookies) can decode: they may name people, and never carry a secret
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# --- HTTPS, sessions and the admin login --------------------------------------------
# With DEBUG off the defaults are production's: cookies only over HTTPS, every http://
# request redirected to https://, HSTS for a year, sessions that end after a working day.
# Behind a proxy that terminates TLS, SECURE_PROXY_SSL_HEADER names the header it sets
# (and strips from clients), or every request looks like http:// and redirects forever.
# The demo (DEBUG on) serves plain HTTP on loopback. `check --deploy` reports any gap.


def _optional(variable, cast, default):
    """Like _read, but a blank value (a copied .env.example) means the default."""
    return _read(variable, cast, default) if env.str(variable, default="").strip() else default


def _meta_name(header: str) -> str:
    """'X-Forwarded-Proto' (or 'HTTP_X_FORWARDED_PROTO') as Django's request.META names it."""
    name = header.strip().upper().replace("-", "_")
    return name if not name or name.startswith("HTTP_") else f"HTTP_{name}"


SECURE_SSL_REDIRECT = _optional("SECURE_SSL_REDIRECT", env.bool, not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = _optional("SESSION_COOKIE_AGE", env.int, 8 * 3600)
SECURE_HSTS_SECONDS = _optional("SECURE_HSTS_SECONDS", env.int, 0 if DEBUG else 365 * 24 * 3600)
# the admin's host and anything under it; preload only matters once someone submits the
# registrable domain to the browsers' list, which needs the apex to send it too
SECURE_HSTS_INCLUDE_SUBDOMAINS = _optional("SECURE_HSTS_INCLUDE_SUBDOMAINS", env.bool, True)
SECURE_HSTS_PRELOAD = _optional("SECURE_HSTS_PRELOAD", env.bool, True)
SECURE_PROXY_SSL_HEADER = None
if _proxy_ssl_header := env.str("SECURE_PROXY_SSL_HEADER", default="").strip():
    _header, _, _value = _proxy_ssl_header.partition(",")
    if _meta_name(_header) and _value.strip() and "," not in _value:
        SECURE_PROXY_SSL_HEADER = (_meta_name(_header), _value.strip())
    else:
        config_error("SECURE_PROXY_SSL_HEADER", "expected 'Header-Name,value', e.g. 'X-Forwarded-Proto,https'")

# Login throttling (django-axes, recorded in the database, shown under Axes in the admin):
# LOGIN_FAILURE_LIMIT wrong passwords for one username from one address lock that pair
# out for LOGIN_LOCKOUT_MINUTES; each further try restarts the wait. The address is the
# socket's unless CLIENT_IP_HEADER names the header the reverse proxy writes (the
# CLIENT_IP_PROXY_COUNT-th address from the right, so what a client wrote is ignored).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = _optional("LOGIN_FAILURE_LIMIT", env.int, 10)
AXES_COOLOFF_TIME = dt.timedelta(minutes=_optional("LOGIN_LOCKOUT_MINUTES", env.int, 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "jengu.admin_login.client_ip"
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
CLIENT_IP_HEADER = _meta_name(env.str("CLIENT_IP_HEADER", default=""))
CLIENT_IP_PROXY_COUNT = max(1, _optional("CLIENT_IP_PROXY_COUNT", env.int, 1))

# Two-factor (TOTP, django-otp): superusers and the Operations group confirm each login
# with a code from an authenticator app; without a device yet they set one up first.
# On by default with DEBUG off, off in the demo (jengu.admin_login).
ADMIN_2FA_REQUIRED = _optional("ADMIN_2FA_REQUIRED", env.bool, not DEBUG)
OTP_TOTP_ISSUER = "Jengu CRM"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"trace_id": {"()": "infra.tracing.TraceIdFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s [trace=%(trace_id)s] %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["trace_id"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="") or "INFO"},
    # httpx logs every request URL at INFO, and some APIs take their key in the URL
    "loggers": {
        **{name: {"level": "WARNING"} for name in ("httpx", "httpx2", "httpcore", "httpcore2", "mail.log")},
        "axes.apps": {"level": "WARNING"},  # its version banner on every process start
        # q2 logs two lines per task; the demo turns them down so the pipeline's own lines show
        "django-q": {"level": env.str("Q_LOG_LEVEL", default="") or "INFO"},
    },
}
