"""CSV cells that are safe to open in a spreadsheet.

Excel, LibreOffice and Google Sheets take a cell beginning with =, +, -, @, a tab or a carriage
return as a formula (CSV injection: `=HYPERLINK(...)` in a hotlist entry's information would
run in the next force's spreadsheet). Such a cell is written with a leading apostrophe, which
spreadsheets show as text; `from_cell` takes it off again, so an exported file imports as it was.
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def to_cell(value: object) -> str:
    text = str(value)
    # Apostrophes already before a formula's start get one more, so from_cell restores them too.
    return f"'{text}" if text.lstrip("'").startswith(FORMULA_STARTS) else text


def from_cell(text: str) -> str:
    return (
        text[1:] if text.startswith("'") and text.lstrip("'").startswith(FORMULA_STARTS) else text
    )
