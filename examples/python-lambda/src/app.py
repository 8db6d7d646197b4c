"""The payments function (handler app.handler).

Takes a charge request as the event, or as the JSON body of an API Gateway or function URL
event, and answers 200 with the charge or 400 with every problem.
"""

import json
import logging

from charges import Invalid, authorize

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def handler(event, context):
    request = event
    if isinstance(event, dict) and isinstance(event.get("body"), str):
        try:
            request = json.loads(event["body"])
        except json.JSONDecodeError:
            return _reply(400, {"errors": ["the body is not JSON"]})
    try:
        charge = authorize(request)
    except Invalid as err:
        return _reply(400, {"errors": err.errors})
    logger.info("charge authorized: %s %s", charge["amount"], charge["currency"])
    return _reply(200, charge)


def _reply(status, body):
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}
