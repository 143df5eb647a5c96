"""A supplier credit note received as Factur-X (type 381) for units sent back: linked to the return, matched, booked."""
from __future__ import annotations

from decimal import Decimal as D

from crm.einvoice import cii, issuing, purchasing, services
from crm.stocks import purchasing as stock_purchasing
from tests.einvoice.conftest import ISSUED, credit, issue_invoice, receive_goods, trade_lines


def _receive(trade, document):
    xml = cii.to_xml(issuing.invoice_of(document))
    return services.receive(trade.buyer, trade.buyer_user, xml, f"{document.number}.xml")


def test_a_received_credit_note_credits_the_return_and_lowers_the_invoice(trade):
    receipt = receive_goods(trade, chairs=10, damaged=2, books=4)  # 8 chairs in stock, 2 broken
    chair_line = next(line for line in trade.order.lines if line.product.reference == "CH-045")
    supplier_return = stock_purchasing.create_return(trade.buyer, trade.buyer_user, trade.order, receipt, ISSUED,
                                                     "2 chaises cassées à la livraison",
                                                     {(chair_line.id, "damaged"): 2})
    stock_purchasing.validate_return(trade.buyer, trade.buyer_user, supplier_return)
    assert trade.chair.on_hand == 8  # damaged units never entered the stock

    # The seller's invoice: 10 chairs × 45,00 = 450,00 at 20 % (90,00) and 4 books 45,00 at 5,5 % (2,48):
    # 495,00 HT, 587,48 TTC.
    sale = issue_invoice(trade.seller, trade.client, trade_lines(trade))
    invoice = purchasing.from_incoming(trade.buyer, trade.buyer_user, _receive(trade, sale))
    assert invoice.total_ttc == D("587.48")
    purchasing.book(invoice, trade.buyer_user, "2 chaises cassées renvoyées : avoir demandé.")

    # Its credit note for the 2 chairs: 2 × 45,00 = 90,00 HT, VAT 18,00, 108,00 TTC; BT-25 names the invoice.
    note_document = credit(trade.seller, sale, {"CH-045": D("2")})
    incoming = _receive(trade, note_document)
    assert incoming.is_credit_note and incoming.corrected_invoice == sale.number
    note = purchasing.from_incoming(trade.buyer, trade.buyer_user, incoming)
    assert (note.kind, note.total_ht, note.total_ttc) == ("credit_note", D("90.00"), D("108.00"))
    # Linked without retyping: the return (the only one of the corrected invoice's order) and the invoice.
    assert note.return_id == supplier_return.id and note.applied_to_id == invoice.id
    assert [line.order_line_id for line in note.lines] == [chair_line.id]
    assert purchasing.match(note) == []
    purchasing.book(note, trade.buyer_user)
    # 587,48 − 108,00 = 479,48 owed.
    assert purchasing.balance_of(invoice) == D("479.48")
    assert purchasing.amount_due(trade.buyer, trade.supplier) == D("479.48")
    assert purchasing.return_credit_status(supplier_return, [note]) == "credited"


def test_a_received_credit_note_for_more_than_was_returned_shows_the_difference(trade):
    receipt = receive_goods(trade, chairs=10, damaged=1, books=4)
    chair_line = next(line for line in trade.order.lines if line.product.reference == "CH-045")
    supplier_return = stock_purchasing.create_return(trade.buyer, trade.buyer_user, trade.order, receipt, ISSUED,
                                                     "Une chaise cassée", {(chair_line.id, "damaged"): 1})
    stock_purchasing.validate_return(trade.buyer, trade.buyer_user, supplier_return)
    sale = issue_invoice(trade.seller, trade.client, trade_lines(trade))
    purchasing.from_incoming(trade.buyer, trade.buyer_user, _receive(trade, sale))  # not booked yet
    note = purchasing.from_incoming(trade.buyer, trade.buyer_user,
                                    _receive(trade, credit(trade.seller, sale, {"CH-045": D("2"),
                                                                                "LI-001": D("1")})))
    assert note.return_id == supplier_return.id and note.applied_to_id is None  # the invoice is not booked
    assert sorted(d.kind for d in purchasing.match(note)) == ["not_returned", "quantity"]
