"""The payments logic, free of AWS: checks a charge request and computes its fee.

Amounts are integer minor units (cents), so no rounding of floats ever happens.
"""

CURRENCIES = {"EUR", "USD", "GBP"}
MAX_AMOUNT = 1_000_000  # 10,000.00 in minor units
FEE_BASIS_POINTS = 140  # 1.4%
FEE_FIXED = 25


class Invalid(ValueError):
    """A charge request with problems; .errors names every one."""

    def __init__(self, errors):
        super().__init__("; ".join(errors))
        self.errors = errors


def fee(amount):
    """The fee on an amount: 1.4% rounded half up, plus 25 minor units."""
    return (amount * FEE_BASIS_POINTS + 5_000) // 10_000 + FEE_FIXED


def authorize(request):
    """Returns the charge (amount, currency, fee, net) of a valid request; raises Invalid."""
    if not isinstance(request, dict):
        raise Invalid(["the request must be an object"])
    errors = []
    amount = request.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, int) or not 1 <= amount <= MAX_AMOUNT:
        errors.append(f"amount: a whole number of minor units from 1 to {MAX_AMOUNT}")
    currency = request.get("currency")
    if currency not in CURRENCIES:
        errors.append(f"currency: one of {', '.join(sorted(CURRENCIES))}")
    if not isinstance(request.get("customer"), str) or not request["customer"].strip():
        errors.append("customer: required")
    if errors:
        raise Invalid(errors)
    charge_fee = fee(amount)
    return {"amount": amount, "currency": currency, "fee": charge_fee, "net": amount - charge_fee}
