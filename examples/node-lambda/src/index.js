// The orders function (handler index.handler): takes an order as the event, or as the JSON
// body of an API Gateway or function URL event, and answers 201 with its total or 400 with
// every problem.
const { randomUUID } = require("node:crypto");
const { priceOrder } = require("./orders");

exports.handler = async (event) => {
  let order = event;
  if (event && typeof event.body === "string") {
    try {
      order = JSON.parse(event.body);
    } catch {
      return reply(400, { errors: ["the body is not JSON"] });
    }
  }
  const priced = priceOrder(order);
  if (priced.errors) {
    return reply(400, { errors: priced.errors });
  }
  const id = randomUUID();
  console.log(JSON.stringify({ level: "info", message: "order priced", id, totalCents: priced.total }));
  return reply(201, { id, totalCents: priced.total });
};

function reply(statusCode, body) {
  return { statusCode, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}
