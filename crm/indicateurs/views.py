"""Blueprint of the indicateurs section (URL prefix /indicateurs)."""
from crm.core.sections import section_blueprint

bp = section_blueprint("indicateurs", __name__)
