"""Blueprint of the clients section (URL prefix /clients)."""
from crm.core.sections import section_blueprint

bp = section_blueprint("clients", __name__)
