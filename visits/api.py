"""The visits app's API: importing this module registers every concept's viewsets with
``kam.api.routes`` (kam/urls.py imports the ``api`` module of every installed app)."""

# isort: off
from visits.visit import api as visit_api  # noqa: F401
from visits.followups import api as followups_api  # noqa: F401
from visits.cadence import api as cadence_api  # noqa: F401
# isort: on
