"""Checks of a CII invoice: the Factur-X EN 16931 XSD, then the EN 16931 business rules.

The rules are the official CEN/TC 434 artefacts (en16931/EN16931-CII-validation.xslt,
vendored with its licence), run by Saxon-HE (saxonche). Compiling the 700 kB
stylesheet takes a few seconds: it is compiled once per process and kept.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

XSLT = Path(__file__).resolve().parent / "en16931" / "EN16931-CII-validation.xslt"
SVRL = "{http://purl.oclc.org/dsdl/svrl}"

_lock = threading.Lock()
_compiled: dict = {}


@dataclass(frozen=True)
class RuleFailure:
    flag: str  # fatal / warning
    rule: str  # BR-CO-10…
    location: str
    text: str

    @property
    def is_fatal(self) -> bool:
        return self.flag == "fatal"


class InvalidXml(ValueError):
    """The XML fails the Factur-X XSD (the message says where, in the library's words)."""


def check_xsd(xml: bytes, level: str = "en16931") -> None:
    """Raise InvalidXml when the XML does not follow the Factur-X XSD of `level`."""
    from facturx import xml_check_xsd

    try:
        xml_check_xsd(xml, flavor="factur-x", level=level)
    except Exception as error:  # the library raises bare Exceptions
        raise InvalidXml(str(error)) from error


def _executable():
    """The compiled EN 16931 stylesheet (processor and executable kept for the process)."""
    with _lock:
        if "executable" not in _compiled:
            from saxonche import PySaxonProcessor

            processor = PySaxonProcessor(license=False)
            compiler = processor.new_xslt30_processor()
            _compiled["processor"] = processor
            _compiled["executable"] = compiler.compile_stylesheet(stylesheet_file=str(XSLT))
        return _compiled["processor"], _compiled["executable"]


def check_rules(xml: bytes) -> list[RuleFailure]:
    """Every EN 16931 rule the XML fails (fatal ones and warnings), in document order."""
    processor, executable = _executable()
    with _lock:  # one Saxon executable, not documented as thread-safe
        node = processor.parse_xml(xml_text=xml.decode("utf-8"))
        report = executable.transform_to_string(xdm_node=node)
    root = ElementTree.fromstring(report)
    failures = []
    for failed in root.iter(SVRL + "failed-assert"):
        text = " ".join((failed.findtext(SVRL + "text") or "").split())
        failures.append(RuleFailure(failed.get("flag", "fatal"), failed.get("id", ""),
                                    failed.get("location", ""), text))
    return failures


def fatal_failures(xml: bytes) -> list[RuleFailure]:
    return [failure for failure in check_rules(xml) if failure.is_fatal]
