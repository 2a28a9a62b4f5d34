"""Stream-parse an AWS Price List bulk offer file (``.../offers/v1.0/aws/<service>/current/<region>/index.json``).

The files are large (the EC2 one for a region is several hundred MB), so they are never loaded whole:
a small incremental reader walks the top-level object and decodes one product or one term at a time
with ``json.JSONDecoder.raw_decode``. Only the products a caller keeps are held in memory, with their
on-demand price dimensions. Shape of the file::

    {"formatVersion": "v1.0", "offerCode": "AmazonEC2", "version": "...", "publicationDate": "...",
     "products": {"<sku>": {"sku": ..., "productFamily": ..., "attributes": {...}}},
     "terms": {"OnDemand": {"<sku>": {"<offerTermCode>": {"priceDimensions": {"<rateCode>":
               {"unit": "Hrs", "pricePerUnit": {"USD": "<price>"}, "description": ..., "beginRange": "0"}}}}},
               "Reserved": {...}}}
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\r\n"


class OfferError(Exception):
    """A file that is not a well-formed offer file."""


@dataclass(frozen=True)
class PriceRow:
    """One on-demand price dimension of one kept product."""

    sku: str
    product_family: str
    attributes: Mapping[str, str]
    unit: str
    usd: float
    description: str
    begin_range: str = "0"
    end_range: str = "Inf"


@dataclass
class Offer:
    """The header of an offer file and the on-demand prices of the products that were kept."""

    header: dict[str, Any] = field(default_factory=dict)
    rows: list[PriceRow] = field(default_factory=list)


class _Reader:
    """Just enough of a streaming JSON reader: objects are walked key by key, values decoded whole."""

    def __init__(self, stream: TextIO, chunk: int = 1 << 16) -> None:
        self._stream = stream
        self._chunk = chunk
        self._buf = ""
        self._pos = 0
        self._eof = False

    def _fill(self) -> bool:
        if self._eof:
            return False
        data = self._stream.read(self._chunk)
        if not data:
            self._eof = True
            return False
        self._buf = self._buf[self._pos :] + data
        self._pos = 0
        return True

    def peek(self) -> str:
        """The next non-whitespace character ("" at the end of the input)."""
        while True:
            while self._pos < len(self._buf) and self._buf[self._pos] in _WHITESPACE:
                self._pos += 1
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._fill():
                return ""

    def expect(self, char: str) -> None:
        found = self.peek()
        if found != char:
            raise OfferError(f"expected {char!r} at offset {self._pos}, found {found or 'end of input'!r}")
        self._pos += 1

    def value(self) -> Any:
        """Decode the next complete JSON value."""
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError:
                if not self._fill():
                    raise OfferError(f"truncated or invalid JSON near offset {self._pos}") from None
                continue
            if end >= len(self._buf) and not self._eof and self._fill():
                continue  # a number may go on in the next chunk: decode again with more input
            self._pos = end
            return value

    def members(self) -> Iterator[str]:
        """Walk an object: yields each key; the caller must consume its value before asking for more."""
        self.expect("{")
        if self.peek() == "}":
            self._pos += 1
            return
        while True:
            key = self.value()
            if not isinstance(key, str):
                raise OfferError(f"object key expected near offset {self._pos}")
            self.expect(":")
            yield key
            nxt = self.peek()
            self._pos += 1
            if nxt == "}":
                return
            if nxt != ",":
                raise OfferError(f"expected ',' or '}}' near offset {self._pos}, found {nxt or 'end of input'!r}")

    def skip(self) -> None:
        """Consume a value without keeping it (objects are walked so no large value is held)."""
        if self.peek() == "{":
            for _ in self.members():
                self.skip()
        else:
            self.value()


def _dimensions(term_map: Any) -> Iterator[Mapping[str, Any]]:
    if not isinstance(term_map, dict):
        return
    for term in term_map.values():
        dims = term.get("priceDimensions", {}) if isinstance(term, dict) else {}
        for dim in dims.values() if isinstance(dims, dict) else ():
            if isinstance(dim, dict):
                yield dim


def parse_offer(stream: TextIO, keep: Callable[[str, Mapping[str, str]], bool], *, chunk: int = 1 << 16) -> Offer:
    """Read an offer file, keeping the products for which ``keep(productFamily, attributes)`` is true.

    Reserved terms are skipped. If the terms come before the products (AWS writes products first), all
    on-demand terms are held until the products have been seen.
    """
    reader = _Reader(stream, chunk)
    offer = Offer()
    products: dict[str, tuple[str, dict[str, str]]] = {}
    seen_products = False
    terms: dict[str, Any] = {}
    for key in reader.members():
        if key == "products":
            seen_products = True
            for sku in reader.members():
                product = reader.value()
                if not isinstance(product, dict):
                    raise OfferError(f"products.{sku}: expected an object")
                family = str(product.get("productFamily", ""))
                attributes = {str(k): str(v) for k, v in (product.get("attributes") or {}).items()}
                if keep(family, attributes):
                    products[sku] = (family, attributes)
        elif key == "terms":
            for term_type in reader.members():
                if term_type != "OnDemand":
                    reader.skip()
                    continue
                for sku in reader.members():
                    term = reader.value()
                    if not seen_products or sku in products:
                        terms[sku] = term
        else:
            value = reader.value()
            if isinstance(value, str | int | float):
                offer.header[key] = value
    if reader.peek() != "":
        raise OfferError("trailing data after the offer object")
    for sku in sorted(products):
        family, attributes = products[sku]
        for dim in _dimensions(terms.get(sku)):
            usd_text = (dim.get("pricePerUnit") or {}).get("USD")
            if usd_text is None:
                continue
            offer.rows.append(
                PriceRow(
                    sku=sku,
                    product_family=family,
                    attributes=attributes,
                    unit=str(dim.get("unit", "")),
                    usd=float(usd_text),
                    description=str(dim.get("description", "")),
                    begin_range=str(dim.get("beginRange", "0")),
                    end_range=str(dim.get("endRange", "Inf")),
                )
            )
    return offer
