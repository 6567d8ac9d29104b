"""A tiny CRM for the demo and the tests: records in a real SQLite file, pages per entity::

    app = create_crm_app(Path("var/demo-crm.sqlite3"), public_url="http://127.0.0.1:8002",
                         allowed_origins=["http://127.0.0.1:8000"])

See `demo.crm.app` for the routes.
"""

from .app import create_crm_app
from .bodies import MAX_BODY_BYTES
from .faults import FaultMode
from .store import CrmStore, StoredRecord

__all__ = ["MAX_BODY_BYTES", "CrmStore", "FaultMode", "StoredRecord", "create_crm_app"]
