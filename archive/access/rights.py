"""Machine-readable rights: one statement per item, from rightsstatements.org or Creative Commons."""

from __future__ import annotations

from dataclasses import dataclass


def _l(label: str) -> str:
    """Marks a label for the message catalogs; templates translate it with ``_()`` when shown."""
    return label


@dataclass(frozen=True)
class RightsStatement:
    code: str
    uri: str
    label: str


RIGHTS = (
    RightsStatement("InC", "http://rightsstatements.org/vocab/InC/1.0/", _l("In Copyright")),
    RightsStatement("InC-EDU", "http://rightsstatements.org/vocab/InC-EDU/1.0/", _l("In Copyright - Educational Use Permitted")),
    RightsStatement("InC-NC", "http://rightsstatements.org/vocab/InC-NC/1.0/", _l("In Copyright - Non-Commercial Use Permitted")),
    RightsStatement("InC-OW-EU", "http://rightsstatements.org/vocab/InC-OW-EU/1.0/", _l("In Copyright - EU Orphan Work")),
    RightsStatement("InC-RUU", "http://rightsstatements.org/vocab/InC-RUU/1.0/", _l("In Copyright - Rights-holder(s) Unlocatable or Unidentifiable")),
    RightsStatement("NoC-CR", "http://rightsstatements.org/vocab/NoC-CR/1.0/", _l("No Copyright - Contractual Restrictions")),
    RightsStatement("NoC-NC", "http://rightsstatements.org/vocab/NoC-NC/1.0/", _l("No Copyright - Non-Commercial Use Only")),
    RightsStatement("NoC-OKLR", "http://rightsstatements.org/vocab/NoC-OKLR/1.0/", _l("No Copyright - Other Known Legal Restrictions")),
    RightsStatement("NoC-US", "http://rightsstatements.org/vocab/NoC-US/1.0/", _l("No Copyright - United States")),
    RightsStatement("CNE", "http://rightsstatements.org/vocab/CNE/1.0/", _l("Copyright Not Evaluated")),
    RightsStatement("UND", "http://rightsstatements.org/vocab/UND/1.0/", _l("Copyright Undetermined")),
    RightsStatement("NKC", "http://rightsstatements.org/vocab/NKC/1.0/", _l("No Known Copyright")),
    RightsStatement("CC0-1.0", "https://creativecommons.org/publicdomain/zero/1.0/", _l("CC0 1.0 Public Domain Dedication")),
    RightsStatement("PDM-1.0", "https://creativecommons.org/publicdomain/mark/1.0/", _l("Public Domain Mark 1.0")),
    RightsStatement("CC-BY-4.0", "https://creativecommons.org/licenses/by/4.0/", _l("Creative Commons Attribution 4.0")),
    RightsStatement("CC-BY-SA-4.0", "https://creativecommons.org/licenses/by-sa/4.0/", _l("Creative Commons Attribution-ShareAlike 4.0")),
    RightsStatement("CC-BY-ND-4.0", "https://creativecommons.org/licenses/by-nd/4.0/", _l("Creative Commons Attribution-NoDerivatives 4.0")),
    RightsStatement("CC-BY-NC-4.0", "https://creativecommons.org/licenses/by-nc/4.0/", _l("Creative Commons Attribution-NonCommercial 4.0")),
    RightsStatement("CC-BY-NC-SA-4.0", "https://creativecommons.org/licenses/by-nc-sa/4.0/", _l("Creative Commons Attribution-NonCommercial-ShareAlike 4.0")),
    RightsStatement("CC-BY-NC-ND-4.0", "https://creativecommons.org/licenses/by-nc-nd/4.0/", _l("Creative Commons Attribution-NonCommercial-NoDerivatives 4.0")),
)  # fmt: skip
BY_CODE = {statement.code: statement for statement in RIGHTS}


def statement(code: str) -> RightsStatement | None:
    return BY_CODE.get(code)
