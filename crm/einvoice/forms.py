"""Forms of the e-invoice screens."""
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField

from crm.core.forms import Form
from crm.einvoice.services import LINK_KINDS


class UploadForm(Form):
    file = FileField("Facture reçue (Factur-X PDF ou XML CII)", [FileRequired("Choisissez le fichier reçu.")],
                     description="PDF Factur-X ou XML CII (EN 16931), 4 Mo au plus.")


class LinkForm(Form):
    kind = SelectField("Lier comme", choices=list(LINK_KINDS.items()), validate_choice=True)
