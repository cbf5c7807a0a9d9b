"""Checksums and format checks for French (and European) identifiers.

Pure functions over a candidate string as it appears in a text (spaces, dots and dashes
allowed where people write them). Each returns whether the value is a valid identifier of
its kind: a detection that fails its checksum is not reported, which is what keeps
random digit runs (case numbers, amounts) out of the pseudonyms.
"""

from __future__ import annotations

import ipaddress
import re

_SEPARATORS = re.compile(r"[\s.\-\u00a0\u202f]")

# IBAN length per country (ISO 13616 registry, SEPA area and neighbours).
IBAN_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20,
    "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IS": 26,
    "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28,
    "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "VA": 22, "MA": 28, "TN": 24, "DZ": 26,
    "SN": 28, "CI": 28, "TR": 26, "LB": 28,
}  # fmt: skip

# Country codes a BIC may carry (ISO 3166-1 alpha-2, the ones met in French banking).
BIC_COUNTRIES = frozenset(IBAN_LENGTHS) | {"US", "CA", "JP", "CN", "MA", "TN", "DZ", "SN", "CI", "CM", "MG", "RE"}


def compact(value: str) -> str:
    """``value`` without the separators people put inside identifiers."""
    return _SEPARATORS.sub("", value)


def luhn_valid(digits: str) -> bool:
    """Luhn (mod 10) check, as used by SIREN and SIRET numbers."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def siren_valid(value: str) -> bool:
    digits = compact(value)
    return len(digits) == 9 and digits != "000000000" and luhn_valid(digits)


def siret_valid(value: str) -> bool:
    """SIRET: 14 digits, Luhn; La Poste's establishments (SIREN 356 000 000) use a digit sum mod 5."""
    digits = compact(value)
    if len(digits) != 14 or not digits.isdigit() or digits == "0" * 14:
        return False
    if digits.startswith("356000000"):
        return sum(int(c) for c in digits) % 5 == 0 or luhn_valid(digits)
    return luhn_valid(digits)


def nir_valid(value: str) -> bool:
    """NIR (numéro de sécurité sociale): 13 characters + a 2-digit key = 97 - (number mod 97).

    Corsica's departments 2A and 2B count as 19 and 18 in the key computation.
    """
    raw = compact(value).upper()
    if len(raw) != 15:
        return False
    body, key = raw[:13], raw[13:]
    if body[0] not in "12378" or not key.isdigit():
        return False
    dept = body[5:7]
    if dept == "2A":
        body = body[:5] + "19" + body[7:]
    elif dept == "2B":
        body = body[:5] + "18" + body[7:]
    if not body.isdigit():
        return False
    month = int(body[3:5])
    if not (1 <= month <= 12 or 20 <= month <= 42 or 50 <= month <= 99):
        return False
    return 97 - int(body) % 97 == int(key)


def iban_valid(value: str) -> bool:
    """IBAN: known country length and ISO 7064 mod-97 check digits."""
    raw = compact(value).upper()
    if len(raw) < 15 or not raw[:2].isalpha() or not raw[2:4].isdigit() or not raw.isalnum():
        return False
    expected = IBAN_LENGTHS.get(raw[:2])
    if expected is not None and len(raw) != expected:
        return False
    if expected is None and len(raw) > 34:
        return False
    rearranged = raw[4:] + raw[:4]
    numeric = "".join(str(int(c, 36)) for c in rearranged)
    return int(numeric) % 97 == 1


def bic_valid(value: str) -> bool:
    """BIC (ISO 9362): 4 letters (bank), country, 2 location characters, optional 3-character branch."""
    raw = value.strip()
    if len(raw) not in (8, 11) or not raw.isalnum() or raw.upper() != raw:
        return False
    return raw[:4].isalpha() and raw[4:6] in BIC_COUNTRIES


def fr_phone_valid(value: str) -> bool:
    """French phone number: 0 + 9 digits (not 00), or +33 / 0033 + 9 digits, optional (0)."""
    raw = compact(value).replace("(0)", "").replace("(", "").replace(")", "")
    if raw.startswith("+33"):
        raw = "0" + raw[3:]
    elif raw.startswith("0033"):
        raw = "0" + raw[4:]
    return len(raw) == 10 and raw.isdigit() and raw[0] == "0" and raw[1] != "0"


def ip_valid(value: str) -> bool:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    if any(address in net for net in _DOCUMENTATION_NETWORKS):
        return False  # reserved for examples in documentation (RFC 5737, RFC 3849): nobody's address
    if address.version == 4:
        # Version numbers ("1.0.0.0") and masks are not addresses people use.
        return not value.startswith("0.") and value != "255.255.255.255"
    return True


_DOCUMENTATION_NETWORKS = tuple(
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)


_SIV_LETTERS = "ABCDEFGHJKLMNPQRSTVWXYZ"  # no I, O, U on SIV plates


def plate_valid(value: str) -> bool:
    """SIV licence plate AA-123-AA (since 2009): no I/O/U, no 000, no SS block, WW only on the left."""
    raw = compact(value).upper()
    if len(raw) != 7 or not (raw[:2].isalpha() and raw[2:5].isdigit() and raw[5:].isalpha()):
        return False
    if raw[2:5] == "000" or any(c not in _SIV_LETTERS for c in raw[:2] + raw[5:]):
        return False
    return raw[:2] != "SS" and raw[5:] != "SS" and raw[5:] != "WW"


__all__ = [
    "bic_valid",
    "compact",
    "fr_phone_valid",
    "iban_valid",
    "ip_valid",
    "luhn_valid",
    "nir_valid",
    "plate_valid",
    "siren_valid",
    "siret_valid",
]
