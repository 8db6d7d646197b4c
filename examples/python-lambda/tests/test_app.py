import json

from app import handler


def test_a_valid_request_is_charged():
    res = handler({"amount": 10_000, "currency": "GBP", "customer": "c-9"}, None)
    assert res["statusCode"] == 200
    assert json.loads(res["body"]) == {"amount": 10_000, "currency": "GBP", "fee": 165, "net": 9_835}


def test_the_request_may_come_as_a_json_body():
    res = handler({"body": json.dumps({"amount": 100, "currency": "USD", "customer": "c-1"})}, None)
    assert res["statusCode"] == 200


def test_a_body_that_is_not_json_is_refused():
    res = handler({"body": "{amount"}, None)
    assert res["statusCode"] == 400
    assert json.loads(res["body"]) == {"errors": ["the body is not JSON"]}


def test_an_invalid_request_names_its_problems():
    res = handler({"amount": -1, "currency": "EUR", "customer": "c-1"}, None)
    assert res["statusCode"] == 400
    assert json.loads(res["body"])["errors"] == ["amount: a whole number of minor units from 1 to 1000000"]
