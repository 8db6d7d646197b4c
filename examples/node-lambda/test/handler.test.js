// Unit tests of the orders function. They load dist/, the bundle the build zips and Lambda
// runs (npm test builds it first), so what passes here is what ships.
const test = require("node:test");
const assert = require("node:assert/strict");
const { handler } = require("../dist/index.js");

const item = (over = {}) => ({ sku: "BOOK-1", quantity: 1, unitPriceCents: 1250, ...over });

test("prices a valid order in cents", async () => {
  const res = await handler({ items: [item({ quantity: 2 }), item({ sku: "PEN-7", unitPriceCents: 199 })] });
  assert.equal(res.statusCode, 201);
  const body = JSON.parse(res.body);
  assert.equal(body.totalCents, 2 * 1250 + 199);
  assert.match(body.id, /^[0-9a-f-]{36}$/);
});

test("reads the order from a JSON body (API Gateway, function URL)", async () => {
  const res = await handler({ body: JSON.stringify({ items: [item()] }) });
  assert.equal(res.statusCode, 201);
  assert.equal(JSON.parse(res.body).totalCents, 1250);
});

test("refuses a body that is not JSON", async () => {
  const res = await handler({ body: "{items:" });
  assert.equal(res.statusCode, 400);
  assert.deepEqual(JSON.parse(res.body).errors, ["the body is not JSON"]);
});

test("reports every problem of an order at once", async () => {
  const res = await handler({ items: [item({ sku: "bad sku" }), item({ quantity: 0, unitPriceCents: -1 })] });
  assert.equal(res.statusCode, 400);
  assert.deepEqual(JSON.parse(res.body).errors, [
    "items[0].sku: 1-32 uppercase letters, digits or hyphens",
    "items[1].quantity: a whole number from 1 to 100",
    "items[1].unitPriceCents: a whole number of cents, 0 or more",
  ]);
});

test("refuses an order without items, or with too many", async () => {
  for (const order of [{}, { items: [] }, null, [item()]]) {
    assert.equal((await handler(order)).statusCode, 400, JSON.stringify(order));
  }
  const many = { items: Array.from({ length: 51 }, () => item()) };
  assert.deepEqual(JSON.parse((await handler(many)).body).errors, ["items: at most 50 items per order"]);
});
