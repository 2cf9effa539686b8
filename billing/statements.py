"""Reading bank statements: a CSV export (columns in docs/csv-formats.md) or an ISO 20022 CAMT.053 file.

Both become `BankEntry` rows: the bank's own reference for the entry (what makes applying a statement twice
harmless), the booking date, the signed amount (credits positive), the currency, the counterparty's name and the
remittance text in which the payment reference is looked for. XML is parsed with defusedxml: no DTDs, no
entities, no external references.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element  # the parsed tree's type (parsed by defusedxml)

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from django.utils.translation import gettext as _

from portfolios import csvio

CSV_REQUIRED = ("entry_reference", "booking_date", "amount", "currency", "description")
CSV_OPTIONAL = ("counterparty_name", "counterparty_iban")
MAX_BYTES = 5 * 1024 * 1024


class StatementError(ValueError):
    """The file cannot be read as a statement; the message says why, for a person."""


@dataclass(frozen=True)
class BankEntry:
    reference: str
    booked_on: dt.date
    amount: Decimal
    currency: str
    name: str
    text: str
    row: int | str = ""


def parse_statement(data: bytes) -> tuple[str, list[BankEntry]]:
    """("csv" or "camt053", entries) — or StatementError with every problem found (nothing half-read)."""
    head = data.lstrip()[:200]
    if head.startswith(b"<?xml") or head.startswith(b"<"):
        return "camt053", parse_camt053(data)
    return "csv", parse_csv(data)


def parse_csv(data: bytes) -> list[BankEntry]:
    try:
        table = csvio.parse(csvio.decode(data), required=CSV_REQUIRED, optional=CSV_OPTIONAL)
    except csvio.CsvError as error:
        raise StatementError(str(error)) from None
    entries, problems = [], []
    for row in table.rows:
        values = row.values
        try:
            if row.problems:
                raise ValueError(" ".join(row.problems))
            if not values["entry_reference"]:
                raise ValueError(_("entry_reference is empty: every bank entry needs the bank's reference."))
            currency = values["currency"].upper()
            if len(currency) != 3 or not currency.isalpha():
                raise ValueError(_("currency “%(value)s” is not a currency code such as EUR.") % {"value": currency})
            entries.append(BankEntry(reference=values["entry_reference"],
                                     booked_on=csvio.parse_date(values["booking_date"], "booking_date"),
                                     amount=csvio.parse_decimal(values["amount"], "amount").quantize(Decimal("0.01")),
                                     currency=currency, name=values.get("counterparty_name", ""),
                                     text=values["description"], row=row.number))
        except (ValueError, InvalidOperation) as error:
            problems.append(_("Row %(row)s: %(problem)s") % {"row": row.number, "problem": error})
    if problems:
        raise StatementError(" ".join(problems))
    return entries


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(node: Element, *path: str) -> Element | None:
    """The first descendant along `path` (local names: CAMT files come in several namespace versions)."""
    current = [node]
    for name in path:
        current = [child for parent in current for child in parent if _local(child.tag) == name]
        if not current:
            return None
    return current[0]


def _text(node: Element, *path: str) -> str:
    found = _find(node, *path)
    return (found.text or "").strip() if found is not None else ""


def parse_camt053(data: bytes) -> list[BankEntry]:
    try:
        root = ElementTree.fromstring(data, forbid_dtd=True)
    except (ElementTree.ParseError, DefusedXmlException) as error:
        raise StatementError(_("The file is not a readable CAMT.053 statement: %(reason)s.")
                             % {"reason": error}) from None
    if _local(root.tag) != "Document" or _find(root, "BkToCstmrStmt") is None:
        raise StatementError(_("The file is XML but not a CAMT.053 bank statement (no BkToCstmrStmt)."))
    entries, problems = [], []
    statements = [child for child in _find(root, "BkToCstmrStmt") if _local(child.tag) == "Stmt"]  # type: ignore[union-attr]
    for statement in statements:
        for number, entry in enumerate((child for child in statement if _local(child.tag) == "Ntry"), start=1):
            where = f"{_text(statement, 'Id') or '?'}#{number}"
            amount_node = _find(entry, "Amt")
            try:
                amount = Decimal((amount_node.text or "").strip())  # type: ignore[union-attr]
                currency = amount_node.attrib.get("Ccy", "")  # type: ignore[union-attr]
                booked = dt.date.fromisoformat((_text(entry, "BookgDt", "Dt") or _text(entry, "BookgDt", "DtTm"))[:10])
            except (AttributeError, InvalidOperation, ValueError):
                problems.append(_("Entry %(entry)s: its amount, currency or booking date cannot be read.")
                                % {"entry": where})
                continue
            if _text(entry, "CdtDbtInd") == "DBIT":
                amount = -amount
            details = _find(entry, "NtryDtls", "TxDtls")
            remittance = " ".join(filter(None, [
                _text(details, "RmtInf", "Strd", "CdtrRefInf", "Ref") if details is not None else "",
                " ".join((item.text or "").strip() for item in (details.iter() if details is not None else ())
                         if _local(item.tag) == "Ustrd"),
                _text(entry, "AddtlNtryInf")]))
            name = _text(details, "RltdPties", "Dbtr", "Nm") if details is not None else ""
            reference = (_text(entry, "AcctSvcrRef") or (_text(details, "Refs", "AcctSvcrRef") if details is not None
                                                          else "") or _text(entry, "NtryRef"))
            if not reference:
                digest = hashlib.sha256(f"{booked}|{amount}|{currency}|{remittance}|{name}".encode()).hexdigest()[:20]
                reference = f"camt:{digest}"
            entries.append(BankEntry(reference=reference[:120], booked_on=booked,
                                     amount=amount.quantize(Decimal("0.01")), currency=currency.upper(), name=name,
                                     text=remittance, row=where))
    if problems:
        raise StatementError(" ".join(problems))
    if not entries:
        raise StatementError(_("The statement has no entries."))
    return entries
