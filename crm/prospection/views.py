"""Blueprint of the prospection section (URL prefix /prospection)."""
from crm.core.sections import section_blueprint

bp = section_blueprint("prospection", __name__)
