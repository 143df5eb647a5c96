"""Blueprint of the accueil section (URL prefix /accueil)."""
from crm.core.sections import section_blueprint

bp = section_blueprint("accueil", __name__)
