"""The period's workbook (.xlsx: formulas over the raw sheets, native charts) and the CSV of sales lines.

The formulas are read back with openpyxl; LibreOffice then recalculates the workbook
headless (its stored results removed first) and must find the page's figures. Without
LibreOffice the recalculation test is skipped with a message, unless
CRM_LIBREOFFICE_TESTS=required (as in .ci/run, which installs it).
"""
from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.formation.models import Activity

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def _download(auth, url="/indicateurs/export.xlsx"):
    auth.login("eleve_a")
    response = auth.client.get(url)
    assert response.status_code == 200
    return response


def _workbook(data: bytes, values: bool = False):
    return openpyxl.load_workbook(io.BytesIO(data), data_only=values)


def _rows(sheet) -> dict[str, list]:
    """Label in column A → the row's cells (B, C, D…)."""
    return {row[0].value: [cell.value for cell in row[1:]] for row in sheet.iter_rows() if row[0].value}


def test_workbook_sheets_and_download(shop, auth):
    response = _download(auth)
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"] == 'attachment; filename="indicateurs-20261101-20261120.xlsx"'
    book = _workbook(response.data)
    assert book.sheetnames == ["Lisez-moi", "Indicateurs", "Répartitions", "Évolution", "Ventes", "Devis", "Accueil",
                               "Questionnaires", "Encaissements"]
    exported = db.session.scalars(select(Activity).where(Activity.verb == "indicators.exported")).all()
    assert [a.summary for a in exported] == ["Indicateurs exportés (tableur) : novembre 2026"]
    assert exported[0].codes == ["A3T3C4"]


def test_indicators_are_formulas_over_the_raw_sheet(shop, auth):
    book = _workbook(_download(auth).data)
    rows = _rows(book["Indicateurs"])
    assert rows["Factures HT"][0] == '=ROUND(SUMIFS(Ventes!$N:$N,Ventes!$A:$A,"en cours",Ventes!$B:$B,"Facture"),2)'
    assert rows["Factures HT"][1] == '=ROUND(SUMIFS(Ventes!$N:$N,Ventes!$A:$A,"précédente",Ventes!$B:$B,"Facture"),2)'
    assert rows["Avoirs HT"][0].startswith("=-ROUND(SUMIFS(Ventes!$N:$N")
    assert rows["Chiffre d'affaires HT"][:2] == ["=B5-B6+B7", "=C5-C6+C7"]
    assert rows["Chiffre d'affaires HT"][2] == '=IF(OR(C8="",B8="",C8=0),"",ROUND((B8-C8)/ABS(C8)*100,1))'
    assert rows["Panier moyen TTC"][0] == '=IF(B15=0,"",ROUND(B12/B15,2))'
    assert rows["Marge brute"][0] == "=B8-B17"
    assert rows["Taux de marge"][0] == '=IF(B17=0,"",ROUND(B18/B17*100,2))'
    assert rows["Taux de transformation des devis"][0] == '=IF(B21=0,"",ROUND(B22/B21*100,2))'
    assert rows["Rotation du stock"][0] == '=IF(B36=0,"",ROUND(B34/B36,2))'
    assert rows["Taux de conversion des prospects"][0].startswith('=IF(B47=0,"",ROUND(B45/B47*100,2))')
    # The split by family: SUMIFS over the family column of the raw sheet, a native pie chart.
    splits = _rows(book["Répartitions"])
    assert splits["Mobilier"][0] == '=ROUND(SUMIFS(Ventes!$N:$N,Ventes!$A:$A,"en cours",Ventes!$K:$K,A4),2)'
    raw = book["Ventes"]
    assert [c.value for c in raw[1]][:4] == ["Période", "Type", "N° de pièce", "Date"]
    assert raw["Q2"].value == "=N2-P2"
    assert raw["R2"].value == '=IF(AND(B2<>"Avoir",OR(B2<>B1,C2<>C1)),1,0)'


def test_cached_results_are_the_page_figures(shop, auth):
    rows = _rows(_workbook(_download(auth).data, values=True)["Indicateurs"])
    assert rows["Chiffre d'affaires HT"][:3] == [449.9, 285, 57.9]
    assert rows["Chiffre d'affaires TTC"][:2] == [532.63, 342]
    assert rows["Nombre de ventes"][:2] == [3, 2]
    assert rows["Panier moyen TTC"][:2] == [177.54, 171]
    assert rows["Marge brute"][:2] == [251.74, 155]
    assert rows["Taux de marge"][:2] == [127.04, 119.23]
    assert rows["Satisfaction moyenne"][:2] == [3.5, 4]
    assert rows["Stock moyen"][0] == 735.94


def test_native_charts_are_in_the_workbook(shop, auth):
    with zipfile.ZipFile(io.BytesIO(_download(auth).data)) as archive:
        charts = sorted(name for name in archive.namelist() if name.startswith("xl/charts/chart"))
        xml = "".join(archive.read(name).decode() for name in charts)
    assert len(charts) == 2
    assert "<c:barChart>" in xml and "<c:pieChart>" in xml
    assert "Évolution!$D$4:$D$23" in xml and "Répartitions!$B$4:$B$6" in xml


def test_text_is_never_a_formula_in_the_workbook(shop, auth):
    shop.parties["claire"].sort_name = '=HYPERLINK("http://exemple.invalid","clic")'
    db.session.commit()
    raw = _workbook(_download(auth).data)["Ventes"]
    clients = [row[4].value for row in raw.iter_rows(min_row=2)]
    assert '=HYPERLINK("http://exemple.invalid","clic")' in clients
    cell = next(row[4] for row in raw.iter_rows(min_row=2) if str(row[4].value).startswith("=HYPERLINK"))
    assert cell.data_type == "s"  # a string cell, not a formula


def _without_cached_results(data: bytes, target: Path) -> None:
    """The same workbook with every formula's stored result removed: only a recalculation fills them."""
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                content = re.sub(rb"(<f>[^<]*</f>)<v>[^<]*</v>", rb"\1", content)
            copy.writestr(item, content)


RECALCULATE_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def _recalculated_by_libreoffice(data: bytes) -> openpyxl.Workbook:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "profile" / "user").mkdir(parents=True)
        (tmp / "profile" / "user" / "registrymodifications.xcu").write_text(RECALCULATE_ALWAYS)
        _without_cached_results(data, tmp / "indicateurs.xlsx")
        subprocess.run(
            [SOFFICE, f"-env:UserInstallation=file://{tmp / 'profile'}", "--headless", "--norestore",
             "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(tmp / "out"),
             str(tmp / "indicateurs.xlsx")],
            check=True, capture_output=True, timeout=180)
        return openpyxl.load_workbook(tmp / "out" / "indicateurs.xlsx", data_only=True)


@pytest.mark.skipif(SOFFICE is None and os.environ.get("CRM_LIBREOFFICE_TESTS") != "required",
                    reason="LibreOffice absent : recalcul du classeur non vérifié "
                           "(apt-get install libreoffice-calc-nogui pour lancer ce test)")
def test_libreoffice_recalculates_the_page_figures(shop, auth):
    assert SOFFICE, "CRM_LIBREOFFICE_TESTS=required mais LibreOffice (soffice) est absent"
    auth.login("eleve_a")
    from crm.indicateurs import services
    from crm.indicateurs.periods import period_of
    from tests.indicateurs.conftest import TODAY

    board = services.dashboard(shop.firm, period_of("month", TODAY), TODAY)
    book = _recalculated_by_libreoffice(_download(auth).data)
    rows = _rows(book["Indicateurs"])
    for indicator in board.revenue + board.margin + board.conversion[:1] + board.desk:
        current, previous = rows[indicator.label][:2]
        assert D(str(current)) == indicator.value, indicator.label
        assert D(str(previous)) == indicator.previous, indicator.label
    assert D(str(rows["Chiffre d'affaires HT"][2])) == D("57.9")
    assert D(str(rows["Stock moyen"][0])) == D("735.94") and D(str(rows["Rotation du stock"][0])) == D("0.13")
    assert D(str(rows["Taux de conversion des prospects"][0])) == D("16.67")
    splits = _rows(book["Répartitions"])
    for split in board.splits:
        for share in split.rows:
            key = share.label.split(" — ")[0] if split.key == "product" else share.label
            key = "Non identifié" if key.startswith("Client non identifié") else key
            assert D(str(splits[key][0])) == share.amount, (split.key, key)
    timeline = [row[3].value for row in book["Évolution"].iter_rows(min_row=4)]
    assert [D(str(v)) for v in timeline] == [amount for _, amount in board.timeline]


def test_sales_lines_as_a_french_csv(shop, auth):
    shop.parties["claire"].sort_name = "=1+1"
    db.session.commit()
    response = _download(auth, "/indicateurs/ventes.csv")
    assert response.headers["Content-Disposition"] == 'attachment; filename="ventes-20261101-20261120.csv"'
    assert response.data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel reads the accents
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Période", "Type", "N° de pièce", "Date"]
    lines = {(row[2], row[9]): row for row in rows[1:]}
    chairs = lines[("FA2026-0002", "Chaise")]
    # 4 chairs: 180 ÷ 256 of 230,40 = 162,00 HT ; VAT 46,08 × 720 ÷ (180 × 20 + 76 × 20) … = 32,40 → 194,40 TTC
    assert chairs[:4] == ["en cours", "Facture", "FA2026-0002", "03/11/2026"]
    assert chairs[11:] == ["20,0", "4", "162,00", "194,40", "80,00", "82,00", "1"]
    credit = lines[("AV2026-0001", "Chaise")]
    assert credit[12:17] == ["-1", "-40,50", "-48,60", "-23,16", "-17,34"]  # negative amounts stay numbers
    ticket = lines[("TK2026-0002", "Livre de caisse")]
    assert ticket[4] == "'=1+1"  # a client name a spreadsheet would run is neutralised
    assert ticket[11:16] == ["5,5", "4", "50,00", "52,75", "20,00"]
    assert sum(1 for row in rows[1:] if row[0] == "en cours") == 6
    exported = db.session.scalars(select(Activity).where(Activity.verb == "indicators.exported")).all()
    assert [a.summary for a in exported] == ["Indicateurs exportés (CSV) : novembre 2026"]


def test_exports_of_an_impossible_period_are_404(shop, auth):
    auth.login("eleve_a")
    assert auth.client.get("/indicateurs/export.xlsx?periode=custom&du=2026-11-10").status_code == 404
    assert auth.client.get("/indicateurs/ventes.csv?periode=nimporte").status_code == 404
    assert db.session.scalars(select(Activity).where(Activity.verb == "indicators.exported")).all() == []
