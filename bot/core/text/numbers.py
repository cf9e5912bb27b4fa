"""German number formats for user-facing texts."""


def de_int(value: int) -> str:
    """12345 -> '12.345'."""
    return f"{value:,}".replace(",", ".")


def de_float(value: float, digits: int = 1) -> str:
    """2.45 -> '2,5' (with thousands separators: 1234.5 -> '1.234,5')."""
    return f"{value:,.{digits}f}".replace(",", "\0").replace(".", ",").replace("\0", ".")
