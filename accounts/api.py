"""The accounts app's API: importing this module registers every concept's viewsets with
``kam.api.routes`` (kam/urls.py imports the ``api`` module of every installed app). The order is
the order of the router's URL patterns."""

# isort: off
from accounts.account import api as account_api  # noqa: F401
from accounts.transactions import api as transactions_api  # noqa: F401
from accounts.contracts import api as contracts_api  # noqa: F401
from accounts.contacts import api as contacts_api  # noqa: F401
from accounts.team import api as team_api  # noqa: F401
from accounts.history import api as history_api  # noqa: F401
from accounts.tiering import api as tiering_api  # noqa: F401
# isort: on
