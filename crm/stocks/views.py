"""Blueprint of the stocks section (URL prefix /stocks)."""
from crm.core.sections import section_blueprint

bp = section_blueprint("stocks", __name__)
