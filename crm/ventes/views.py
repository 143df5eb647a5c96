"""Blueprint of the ventes section (URL prefix /ventes)."""
from crm.core.sections import section_blueprint

bp = section_blueprint("ventes", __name__)
