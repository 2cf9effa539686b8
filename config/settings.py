"""Settings, read from the environment (12-factor).

With no variables at all this is the *embedded default*: SQLite, tasks run in-process, e-mail to the
console, DEBUG on. Anything production-like is switched on by variables (see README and
docker-compose.yml); production secrets have no defaults: with DJANGO_DEBUG=false a missing
DJANGO_SECRET_KEY stops start-up.
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # optional; silently absent

DEBUG = env.bool("DJANGO_DEBUG", default=True)

if DEBUG:
    # Only the embedded default has a key of its own; it is never used with DEBUG off.
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="embedded-development-key-not-for-production")  # noqa: S105
else:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY")

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
PAGE_SIZE = 25  # rows per page of every list (accounts/pagination.py)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "bootstrap",
    "accounts",
    "schemes",
    "portfolios",
    "dossiers",
    "notifications",
    "sequences",
    "billing",
    "certificates",
    "review",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.HostOrganisationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "accounts.tenancy.TenantTransactionMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.tenancy",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
# DATABASE_URL, e.g. postgres://recert@127.0.0.1:5432/recert. Default: a SQLite file in the project.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "django.db.backends.postgresql"
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite serving a threaded web server. Every request is one transaction (TenantTransactionMiddleware):
    # a deferred one reads, then asks for the write lock, and SQLite refuses at once ("database is locked")
    # when another request holds it. IMMEDIATE takes the lock at BEGIN, so requests queue under the busy
    # timeout instead (read-only requests queue too: the price of one transaction per request on SQLite).
    # WAL lets reads outside a transaction (the session, the user) go on while a request writes; NORMAL
    # sync is safe with WAL. PostgreSQL (production) needs none of this.
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "transaction_mode": "IMMEDIATE",
        "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=20),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                        "PRAGMA temp_store=MEMORY; PRAGMA journal_size_limit=67108864; PRAGMA mmap_size=134217728",
    })
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (allauth's rate limits need a real, shared cache) ------------------------------------------
# With REDIS_URL: Redis, but never a reason to fail a request. While Redis is unreachable the cache answers
# from a per-process memory cache (rate limits then count per process), logs the outage once and shows it
# on the health page; short client timeouts and RETRY_AFTER keep a dead Redis from holding requests
# (accounts/cache.py says what uses the cache and what changes during an outage).
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "accounts.cache.FallbackRedisCache", "LOCATION": REDIS_URL,
                          "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="recert"),
                          "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
                          "RETRY_AFTER": env.int("CACHE_RETRY_AFTER", default=30)}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                          "LOCATION": "django_cache"}}

# --- Accounts -------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
# No answer tells whether an address has an account. Sign-up with a known address shows the same "check
# your e-mail" page as a new one (with mandatory verification allauth creates no second account) and mails
# the owner that someone tried, with log-in and reset links. A password reset for an unknown address shows
# the same "we sent you an e-mail" page, and the address gets a short "no account uses this address" note,
# so someone who tried the wrong address learns it. Those two notices ("address_notice") reach an address at
# most once an hour and three times a day, on top of the forms' own limits (accounts/adapter.py): the forms
# are no way to flood someone's mailbox, and the notices carry no text a visitor wrote.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = True
ACCOUNT_RATE_LIMITS = {
    "address_notice": "1/h/key,3/d/key",
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "send_email": "5/m/key",
    "reset_password": "20/m/ip,5/m/key",
    "change_password": "5/m/user",
    "confirm_email": "1/3m/key",
}
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupNamesForm"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="Recert")
# The product's name in allauth's mails ("Hello from Recert!"); the sites framework is not installed.
SITE_NAME = env.str("SITE_NAME", default="Recert")

# --- Internationalisation ---------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("nl", _("Dutch")), ("nb", _("Norwegian Bokmål"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Amsterdam")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files (evidence, submission PDFs, logos) have no public address: they are served only by
# permission-checked views that stream them as attachments (accounts/storage.py). Where they are kept:
# STORAGE_BACKEND    "filesystem" (default: MEDIA_ROOT) or "s3" (S3-compatible object storage, django-storages).
# MEDIA_ROOT         the directory for "filesystem"; default var/media in the project.
# With STORAGE_BACKEND=s3:
#   AWS_STORAGE_BUCKET_NAME  the bucket (required). Keep it private (no public policy; Block Public Access on):
#                            objects are written without an ACL, so they are exactly as private as the bucket.
#   AWS_S3_ENDPOINT_URL      the server for S3-compatible storage (MinIO, Ceph, Scaleway, …); empty for AWS.
#   AWS_S3_REGION_NAME       the bucket's region, e.g. eu-west-1 (empty: the SDK's default).
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY  credentials; when empty the SDK's chain is used (instance role,
#                            AWS_SESSION_TOKEN, ~/.aws).
#   AWS_LOCATION             a key prefix inside the bucket (e.g. "recert/"), default none.
#   AWS_S3_ADDRESSING_STYLE  "path" for servers without per-bucket host names (MinIO), else "virtual" or empty.
# The media storage must be this application's alone: the sweeper deletes what no row references.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
STORAGE_BACKEND = env.str("STORAGE_BACKEND", default="filesystem")
if STORAGE_BACKEND == "s3":
    _media_storage = {"BACKEND": "accounts.storage.S3Storage", "OPTIONS": {
        "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
        "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
        "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
        "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
        "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
        "location": env.str("AWS_LOCATION", default=""),
        "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="") or None,
        "default_acl": None,          # no ACL header: private like the bucket (and accepted with ACLs disabled)
        "file_overwrite": False,      # like the file system: never replace another upload of the same name
        # Never an unsigned address. Views stream files instead of linking; the one signed link made is the
        # logo's "currently" link in Django's file widget on the administrators' settings page, valid 60 s.
        "querystring_auth": True,
        "querystring_expire": 60,
        "signature_version": "s3v4",
    }}
elif STORAGE_BACKEND == "filesystem":
    _media_storage = {"BACKEND": "accounts.storage.FileSystemStorage",
                      "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": None}}
else:
    raise environ.ImproperlyConfigured(f"STORAGE_BACKEND must be 'filesystem' or 's3', not {STORAGE_BACKEND!r}")
STORAGES = {
    "default": _media_storage,
    "staticfiles": {"BACKEND": env.str(
        "STATICFILES_STORAGE",
        default="django.contrib.staticfiles.storage.StaticFilesStorage" if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage")},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Stored files no row references are deleted by the daily sweep once older than this (uploads in flight are
# younger): STORED_FILES_GRACE_HOURS, default 24.
STORED_FILES_GRACE_HOURS = env.float("STORED_FILES_GRACE_HOURS", default=24)
# DOCX/ODT packages (ZIP files) are refused when they would expand past these, judged without unpacking them
# (portfolios/evidence_files.py): EVIDENCE_MAX_UNCOMPRESSED_BYTES in all (default 50 MiB),
# EVIDENCE_MAX_COMPRESSION_RATIO overall or per part above 1 MiB (default 100 to 1), EVIDENCE_MAX_PACKAGE_ENTRIES.
EVIDENCE_MAX_UNCOMPRESSED_BYTES = env.int("EVIDENCE_MAX_UNCOMPRESSED_BYTES", default=50 * 1024 * 1024)
EVIDENCE_MAX_COMPRESSION_RATIO = env.int("EVIDENCE_MAX_COMPRESSION_RATIO", default=100)
EVIDENCE_MAX_PACKAGE_ENTRIES = env.int("EVIDENCE_MAX_PACKAGE_ENTRIES", default=1000)

# --- E-mail ---------------------------------------------------------------------------------------------
# EMAIL_URL, e.g. smtp://mailpit:1025 or submission://user:pass@smtp.example:587 ; default: console.
# Production must name its mail server: the console default exists only with DEBUG on.
_email = env.email_url("EMAIL_URL", default="consolemail://") if DEBUG else env.email_url("EMAIL_URL")
_smtp_options = {"host": "EMAIL_HOST", "port": "EMAIL_PORT", "username": "EMAIL_HOST_USER",
                 "password": "EMAIL_HOST_PASSWORD", "use_tls": "EMAIL_USE_TLS", "use_ssl": "EMAIL_USE_SSL"}
MAILERS = {"default": {
    "BACKEND": _email["EMAIL_BACKEND"],
    "OPTIONS": {option: _email[key] for option, key in _smtp_options.items() if _email.get(key)}
    if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend") else {},
}}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Recert <no-reply@recert.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Background work (Celery + Redis) ---------------------------------------------------------------
# Without a broker URL tasks run in-process (the embedded default).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TIMEZONE = TIME_ZONE
# Publishing fails fast when Redis is unreachable (the outbox keeps the work; see accounts/outbox.py).
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5, "max_retries": 0}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_IMPORTS = ["notifications.reminders", "dossiers.tasks", "billing.tasks", "certificates.tasks", "review.tasks",
                  "schemes.tasks"]
CELERY_BEAT_SCHEDULE = {
    "outbox-relay": {"task": "notifications.tasks.outbox_relay", "schedule": 30.0},
    "heartbeat": {"task": "notifications.tasks.heartbeat", "schedule": 60.0},
    "reminder-scan": {"task": "notifications.reminders.reminder_scan_task",
                      "schedule": __import__("celery.schedules").schedules.crontab(hour=6, minute=0)},
    "stored-files-sweep": {"task": "accounts.tasks.stored_files_sweep_task",
                           "schedule": __import__("celery.schedules").schedules.crontab(hour=3, minute=30)},
    # Billing (below): the annual contribution scan and overdue-invoice reminders, both idempotent claims.
    "billing-annual-scan": {"task": "billing.tasks.annual_billing_task",
                            "schedule": __import__("celery.schedules").schedules.crontab(hour=5, minute=0)},
    "billing-reminder-scan": {"task": "billing.tasks.invoice_reminder_task",
                              "schedule": __import__("celery.schedules").schedules.crontab(hour=9, minute=0)},
    # Certificates: extend due product series, lapse expired certificates, end suspensions (each once).
    "certificates-daily": {"task": "certificates.tasks.daily_certificates_task",
                           "schedule": __import__("celery.schedules").schedules.crontab(hour=0, minute=30)},
    # Review: reminders to assessors before and after the due date, overdue allocations back to the queue.
    "review-reminder-scan": {"task": "review.tasks.review_reminder_task",
                             "schedule": __import__("celery.schedules").schedules.crontab(hour=7, minute=0)},
}
# Review: who coordinates (allocates, overrides conflicts, withdraws assessments) — membership roles; whether a
# case is allocated automatically when it opens; an assessor's open cases at most when they set no capacity.
REVIEW_COORDINATOR_ROLES = env.list("REVIEW_COORDINATOR_ROLES", default=["admin"])
REVIEW_AUTO_ALLOCATE = env.bool("REVIEW_AUTO_ALLOCATE", default=True)
REVIEW_DEFAULT_CAPACITY = env.int("REVIEW_DEFAULT_CAPACITY", default=10)

# --- Certificates ---------------------------------------------------------------------------------------------
# Public verification and register pages: at most VERIFY_RATE_LIMIT requests per VERIFY_RATE_WINDOW seconds per
# client address (counted in the cache).
VERIFY_RATE_LIMIT = env.int("VERIFY_RATE_LIMIT", default=30)
VERIFY_RATE_WINDOW = env.int("VERIFY_RATE_WINDOW", default=60)

# --- Security -------------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
    SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# --- Content-Security-Policy ----------------------------------------------------------------------------
# Django's own CSP middleware sends this policy with every response. It is a second wall behind escaping:
# even if scheme text or a typed answer ever reached a page as markup, no script of it would run.
# - Scripts and styles come only from our own origin (static files): no inline <script>, no event-handler
#   attributes, no inline <style> or style="" anywhere. The brand colour is a tiny stylesheet of its own
#   (/brand/<colour>.css); htmx's injected indicator styles are switched off (<meta name="htmx-config"> in
#   base.html; the same rules are in static/css/app.css), and so are its eval-based features.
# - No nonce: no inline script or style is left that would need one. Should one become unavoidable, add
#   CSP.NONCE to that directive and "django.template.context_processors.csp" to the context processors, and
#   write nonce="{{ csp_nonce }}" on the element ({% htmx_script %} then adds it to its tags by itself).
# - img-src allows data: URIs because Bootstrap's CSS draws its icons (select arrows, check marks, the
#   navbar toggler) as data: SVGs and allauth shows the TOTP QR code as one; data: images cannot run script.
# - frame-ancestors 'none' is X_FRAME_OPTIONS = "DENY" for browsers that read CSP; form-action and base-uri
#   keep injected markup from sending a form, or resolving links, anywhere else.
# Django's debug pages (DEBUG only) turn the policy off for themselves. With DEBUG on, django-htmx's helper
# that shows a failed htmx request's error page in place of the page cannot run that page's inline scripts
# and styles (the policy refuses them); the error text still shows. Production has no such helper.
from django.utils.csp import CSP  # noqa: E402 - kept inside this block on purpose

MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                  "django.middleware.csp.ContentSecurityPolicyMiddleware")
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# --- Product settings -------------------------------------------------------------------------------------
INVITATION_VALID_DAYS = env.int("INVITATION_VALID_DAYS", default=14)
STATEMENT_VALID_DAYS = env.int("STATEMENT_VALID_DAYS", default=14)
EVIDENCE_MAX_FILE_BYTES = env.int("EVIDENCE_MAX_FILE_BYTES", default=10 * 1024 * 1024)
EVIDENCE_MAX_TOTAL_BYTES = env.int("EVIDENCE_MAX_TOTAL_BYTES", default=200 * 1024 * 1024)
# Uploads beyond this are refused by Django before a view runs (evidence limits are checked in the view).
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Outgoing mail limits ------------------------------------------------------------------------------------
# Mail a person makes the platform send to an address they typed (statement requests, invitations) is
# limited so the platform cannot be used as a mail relay (accounts/mail_limits.py). Counted in the database
# under a row lock, not in the cache; "per day" means the last 24 hours. Every value must be at least 1.
# One statement request: minutes between two sends of it (first send or new link), and sends in all.
STATEMENT_RESEND_MINUTES = env.int("STATEMENT_RESEND_MINUTES", default=60)
STATEMENT_MAX_SENDS = env.int("STATEMENT_MAX_SENDS", default=5)
# Statement e-mails (new requests and new links together) per professional, and per organisation as a backstop.
STATEMENT_SENDS_PER_PROFESSIONAL_PER_DAY = env.int("STATEMENT_SENDS_PER_PROFESSIONAL_PER_DAY", default=20)
STATEMENT_SENDS_PER_ORGANISATION_PER_DAY = env.int("STATEMENT_SENDS_PER_ORGANISATION_PER_DAY", default=1000)
# The professional's message to the signer: characters at most (it is sent as plain text, quoted).
STATEMENT_MESSAGE_MAX_CHARS = env.int("STATEMENT_MESSAGE_MAX_CHARS", default=1000)
# One invitation: minutes between two sends of it, and sends in all; invitation e-mails (new ones and resends)
# per organisation.
INVITATION_RESEND_MINUTES = env.int("INVITATION_RESEND_MINUTES", default=60)
INVITATION_MAX_SENDS = env.int("INVITATION_MAX_SENDS", default=5)
INVITATION_SENDS_PER_ORGANISATION_PER_DAY = env.int("INVITATION_SENDS_PER_ORGANISATION_PER_DAY", default=200)
# allauth's own mail to a typed address (password reset, address verification, an added address) is limited
# by allauth per minute, in the cache (ACCOUNT_RATE_LIMITS above); these add a cap over 24 hours per address
# (reset and verification mails) and per user (changes on the e-mail page).
ACCOUNT_MAILS_PER_ADDRESS_PER_DAY = env.int("ACCOUNT_MAILS_PER_ADDRESS_PER_DAY", default=10)
ACCOUNT_EMAIL_CHANGES_PER_USER_PER_DAY = env.int("ACCOUNT_EMAIL_CHANGES_PER_USER_PER_DAY", default=30)
ACCOUNT_RATE_LIMITS = {
    **ACCOUNT_RATE_LIMITS,
    "reset_password": f"{ACCOUNT_RATE_LIMITS['reset_password']},{ACCOUNT_MAILS_PER_ADDRESS_PER_DAY}/d/key",
    "confirm_email": f"{ACCOUNT_RATE_LIMITS['confirm_email']},{ACCOUNT_MAILS_PER_ADDRESS_PER_DAY}/d/key",
    "manage_email": f"{ACCOUNT_RATE_LIMITS.get('manage_email', '10/m/user')},"
                    f"{ACCOUNT_EMAIL_CHANGES_PER_USER_PER_DAY}/d/user",
}

# --- Billing --------------------------------------------------------------------------------------------------
# Online payment through Mollie (billing/providers/mollie.py). Without MOLLIE_API_KEY invoices are paid by bank
# transfer only. MOLLIE_API_URL is Mollie's API base (tests point it at a local server speaking the same API).
# Mollie calls the webhook on SITE_URL, so SITE_URL must be the public https address in production.
MOLLIE_API_KEY = env.str("MOLLIE_API_KEY", default="")
MOLLIE_API_URL = env.str("MOLLIE_API_URL", default="https://api.mollie.com")
# Where Mollie's checkout lives: the invoice page's Content-Security-Policy lets its "Pay online" form be redirected
# there (form-action).
MOLLIE_CHECKOUT_ORIGIN = env.str("MOLLIE_CHECKOUT_ORIGIN", default="https://www.mollie.com")
# Days after the due date on which an unpaid invoice's payment reminders go out (one each, in the customer's
# language), e.g. "7,21,42".
BILLING_REMINDER_DAYS = env.list("BILLING_REMINDER_DAYS", cast=int, default=[7, 21, 42])
# PDFs of invoices are rendered in a task (the outbox). A download asked before it is ready says so and waits.

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint logs every rendering step at INFO ("Step 1 - Fetching and parsing HTML"): only its warnings.
    "loggers": {"weasyprint.progress": {"level": "WARNING"}},
}

if env.bool("TESTING", default=False):
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
