import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
application = get_wsgi_application()

# Refuse to serve at all (not just fail on the first request) if the database role could bypass
# row-level security; see kam.db.checks.
from kam.db.checks import check_now  # noqa: E402

check_now()
