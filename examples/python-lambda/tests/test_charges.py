import pytest

from charges import Invalid, authorize, fee


def test_fee_is_rounded_half_up_plus_the_fixed_part():
    assert fee(10_000) == 140 + 25
    assert fee(36) == 1 + 25  # 0.504 rounds up
    assert fee(35) == 0 + 25  # 0.49 rounds down


def test_authorize_returns_the_charge_with_fee_and_net():
    assert authorize({"amount": 2_000, "currency": "EUR", "customer": "c-1"}) == {
        "amount": 2_000, "currency": "EUR", "fee": 53, "net": 1_947}


def test_authorize_reports_every_problem_at_once():
    with pytest.raises(Invalid) as err:
        authorize({"amount": 0, "currency": "XYZ", "customer": " "})
    assert err.value.errors == [
        "amount: a whole number of minor units from 1 to 1000000",
        "currency: one of EUR, GBP, USD",
        "customer: required",
    ]


def test_authorize_refuses_amounts_that_are_not_whole_minor_units():
    for amount in (12.5, "100", True, 1_000_001):
        with pytest.raises(Invalid):
            authorize({"amount": amount, "currency": "USD", "customer": "c-1"})
