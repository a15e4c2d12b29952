"""The REST API of linked sessions (``/api``): accounts, deputies, sessions,
invitations, calendars and the audit log, over :mod:`store`.

``create_api(services)`` returns an aiohttp sub-application; see
:class:`ApiServices` for what it needs and ``docs/api.md`` for the contract.
"""

from api.app import create_api
from api.services import ApiServices

__all__ = ["ApiServices", "create_api"]
