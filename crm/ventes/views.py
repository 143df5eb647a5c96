"""Screens of the catalogue and the pricing calculator (their URLs: crm/ventes/blueprint.py)."""
from __future__ import annotations


from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from crm.core.clock import business_today
from crm.core.errors import DomainError
from crm.core.picker import clean_query
from crm.core.tenancy import current_firm, get_or_404, scoped
from crm.core.text import escape_like, fold
from crm.core.views_helpers import form_error, page_number, refuse
from crm.extensions import db
from crm.ventes import catalogue, picking
from crm.ventes.forms import FamilyForm, ObjectionForm, PricingForm, ProductForm, PromotionForm
from crm.ventes.models import Product, ProductFamily, ProductObjection, PromotionalPrice
from crm.ventes.pricing import LABELS, compute_pricing

def index():
    count = db.session.scalar(
        scoped(Product).with_only_columns(db.func.count()).where(Product.active.is_(True))
    )
    return render_template("ventes/index.html", product_count=count)


# --- catalogue --------------------------------------------------------------

def pick_products():
    """Search-as-you-type of the article fields (crm.core.picker): at most 20 matches, as JSON."""
    return picking.SOURCES.get(request.args.get("type", ""), picking.PRODUCTS).json_response()


def list_products():
    query = scoped(Product).order_by(Product.reference)
    search = clean_query(request.args.get("q"))
    for word in fold(search).split():  # accent- and case-insensitive, as the search fields
        query = query.where(Product.search_text.like(f"%{escape_like(word)}%", escape="\\"))
    family_id = request.args.get("famille", type=int)
    if family_id:
        query = query.where(Product.family_id == family_id)
    if not request.args.get("inactifs"):
        query = query.where(Product.active.is_(True))
    page = db.paginate(query.options(selectinload(Product.family)), page=page_number(),
                       error_out=False)
    families = db.session.scalars(scoped(ProductFamily).order_by(ProductFamily.name)).all()
    promotions = catalogue.promotions_on((p.id for p in page.items), business_today(current_firm))
    return render_template("ventes/products.html", page=page, families=families, search=search,
                           family_id=family_id, promotions=promotions)


def new_product():
    form = ProductForm()
    if form.validate_on_submit():
        try:
            product = catalogue.create_product(current_firm, current_user, form.product_data())
        except DomainError as error:
            form_error(form, error)
        else:
            flash(f"L'article {product.reference} est ajouté au catalogue.", "success")
            return redirect(url_for("ventes.show_product", product_id=product.id))
    return _form_page("ventes/product_form.html", form, product=None)


def import_catalogue():
    """Preview a catalogue CSV (nothing written), then import it all or nothing."""
    from crm.clients.forms import ConfirmImportForm, ImportForm
    from crm.core.errors import ImportErrors
    from crm.ventes import catalogue_csv

    form, confirm = ImportForm(), ConfirmImportForm(formdata=None)
    rows, errors, status = [], [], 200
    if request.form.get("content") is not None:
        confirm = ConfirmImportForm()
        if confirm.validate_on_submit():
            try:
                products = catalogue_csv.import_catalogue(current_firm, current_user, confirm.content.data or "")
            except ImportErrors as error:
                errors, status = error.errors, 422
                from crm.core.views_helpers import mark_refused

                mark_refused()
            else:
                plural = "s" if len(products) > 1 else ""
                flash(f"{len(products)} article{plural} importé{plural}.", "success")
                return redirect(url_for("ventes.list_products"))
        else:
            status = 422
    elif form.validate_on_submit():
        text = catalogue_csv.decode(form.file.data.read())
        rows, errors = catalogue_csv.parse(text, current_firm)
        if not errors:
            confirm.content.data = text
        status = 422 if errors else 200
    elif form.is_submitted():
        status = 422
    return render_template("ventes/catalogue_import.html", form=form, confirm=confirm, rows=rows, errors=errors,
                           columns=catalogue_csv.COLUMNS), status


def show_product(product_id: int):
    product = get_or_404(Product, product_id)
    today = business_today(current_firm)
    return render_template(
        "ventes/product.html", product=product, today=today,
        promotion=product.promotion_on(today), objection_form=ObjectionForm(),
        promotion_form=PromotionForm(), pricing=_product_pricing(product),
    )


def edit_product(product_id: int):
    product = get_or_404(Product, product_id)
    form = ProductForm(obj=product)
    if request.method == "GET":
        form.vat_rate.data = _vat_key(product.vat_rate)
        form.family_id.data = product.family_id or 0
    if form.validate_on_submit():
        try:
            catalogue.update_product(product, form.product_data())
        except DomainError as error:
            form_error(form, error)
        else:
            flash("L'article est enregistré.", "success")
            return redirect(url_for("ventes.show_product", product_id=product.id))
    return _form_page("ventes/product_form.html", form, product=product)


def present_product(product_id: int):
    product = get_or_404(Product, product_id)
    catalogue.present_technical_sheet(current_firm, current_user, product)
    flash("La présentation de la fiche technique est notée dans votre journal.", "success")
    return redirect(url_for("ventes.product_sheet", product_id=product.id))


def product_sheet(product_id: int):
    """The printable technical sheet and argumentaire of a product."""
    product = get_or_404(Product, product_id)
    today = business_today(current_firm)
    return render_template("ventes/product_sheet.html", product=product, today=today,
                           promotion=product.promotion_on(today))


def add_objection(product_id: int):
    product = get_or_404(Product, product_id)
    form = ObjectionForm()
    if form.validate_on_submit():
        try:
            catalogue.add_objection(product, current_user, form.objection.data, form.answer.data)
        except DomainError as error:
            form_error(form, error)
        else:
            flash("L'objection et sa réponse sont ajoutées à l'argumentaire.", "success")
            return redirect(url_for("ventes.show_product", product_id=product.id) + "#argumentaire")
    return _refused_product_page(product, objection_form=form)


def delete_objection(product_id: int, objection_id: int):
    product = get_or_404(Product, product_id)
    item = get_or_404(ProductObjection, objection_id)
    if item.product_id != product.id:
        abort(404)
    catalogue.delete_objection(item)
    flash("L'objection est retirée de l'argumentaire.", "success")
    return redirect(url_for("ventes.show_product", product_id=product.id) + "#argumentaire")


def add_promotion(product_id: int):
    product = get_or_404(Product, product_id)
    form = PromotionForm()
    if form.validate_on_submit():
        try:
            catalogue.add_promotion(product, form.price.data, form.starts_on.data,
                                    form.ends_on.data, form.label.data)
        except DomainError as error:
            form_error(form, error)
        else:
            flash("Le prix promotionnel est enregistré.", "success")
            return redirect(url_for("ventes.show_product", product_id=product.id) + "#promotions")
    return _refused_product_page(product, promotion_form=form)


def delete_promotion(product_id: int, promotion_id: int):
    product = get_or_404(Product, product_id)
    promotion = get_or_404(PromotionalPrice, promotion_id)
    if promotion.product_id != product.id:
        abort(404)
    catalogue.delete_promotion(promotion)
    flash("Le prix promotionnel est supprimé.", "success")
    return redirect(url_for("ventes.show_product", product_id=product.id) + "#promotions")


def _refused_product_page(product: Product, **forms):
    today = business_today(current_firm)
    context = {"objection_form": ObjectionForm(formdata=None), "promotion_form": PromotionForm(formdata=None)}
    context.update(forms)
    return render_template("ventes/product.html", product=product, today=today,
                           promotion=product.promotion_on(today), pricing=_product_pricing(product),
                           **context), 422


def _product_pricing(product: Product):
    if product.purchase_price and product.sale_price:
        return compute_pricing(product.vat_rate, purchase_price=product.purchase_price,
                               sale_price=product.sale_price)
    return None


# --- families ---------------------------------------------------------------

def families():
    form = FamilyForm()
    if form.validate_on_submit():
        try:
            family = catalogue.create_family(current_firm, form.name.data)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(f"La famille « {family.name} » est créée.", "success")
            return redirect(url_for("ventes.families"))
    items = catalogue.families_with_counts(current_firm)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("ventes/families.html", form=form, families=items), status


def delete_family(family_id: int):
    family = get_or_404(ProductFamily, family_id)
    catalogue.delete_family(family)
    flash(f"La famille « {family.name} » est supprimée ; ses articles restent au catalogue.", "success")
    return redirect(url_for("ventes.families"))


# --- pricing calculator -------------------------------------------------------

def pricing_calculator():
    return _calculator_page(product=None)


def product_pricing(product_id: int):
    return _calculator_page(product=get_or_404(Product, product_id))


def apply_pricing(product_id: int):
    """Apply a computed purchase price and sale price HT to the product."""
    product = get_or_404(Product, product_id)
    form = PricingForm(request.form)
    if not form.validate() or form.purchase_price.data is None or form.sale_price.data is None:
        abort(400)
    data = {name: getattr(product, name) for name in catalogue.PRODUCT_FIELDS}
    data.update(purchase_price=form.purchase_price.data, sale_price=form.sale_price.data)
    try:
        catalogue.update_product(product, data)
    except DomainError as error:
        refuse(error)
        return redirect(url_for("ventes.product_pricing", product_id=product.id)), 303
    flash("Les prix de l'article sont mis à jour.", "success")
    return redirect(url_for("ventes.show_product", product_id=product.id))


def _calculator_page(product: Product | None):
    form = PricingForm(request.args)
    if product is not None and not request.args:
        form = PricingForm(formdata=None, vat_rate=_vat_key(product.vat_rate),
                           purchase_price=product.purchase_price or None)
    result = None
    status = 200
    submitted = any(request.args.get(name) for name in PricingForm.FIGURES)
    if submitted and form.validate():
        try:
            from decimal import Decimal

            result = compute_pricing(Decimal(form.vat_rate.data), **form.figures())
        except DomainError as error:
            form_error(form, error)
            status = 422
    elif submitted:
        status = 422
    return render_template("ventes/calculator.html", form=form, result=result, product=product,
                           labels=LABELS), status


def _vat_key(rate) -> str:
    return format(rate.normalize(), "f") if rate else "0"


def _form_page(template: str, form, **context):
    status = 422 if request.method == "POST" else 200
    return render_template(template, form=form, **context), status
