// Unit tests of the catalog service: a real server on a free port, real HTTP requests.
const test = require("node:test");
const assert = require("node:assert/strict");
const { createServer } = require("../src/server");

let base;
const server = createServer();
test.before(() => new Promise((resolve) => server.listen(0, "127.0.0.1", () => {
  base = `http://127.0.0.1:${server.address().port}`;
  resolve();
})));
test.after(() => new Promise((resolve) => server.close(resolve)));

const get = async (path, init) => {
  const res = await fetch(base + path, init);
  return { status: res.status, body: await res.json() };
};

test("GET /health answers 200 (the target group's health check)", async () => {
  assert.deepEqual(await get("/health"), { status: 200, body: { status: "ok" } });
});

test("GET /items lists the catalog", async () => {
  const { status, body } = await get("/items");
  assert.equal(status, 200);
  assert.deepEqual(body.items.map((i) => i.sku), ["BOOK-1", "PEN-7", "MUG-3"]);
});

test("GET /items/<sku> answers one item, 404 for an unknown one", async () => {
  assert.deepEqual(await get("/items/PEN-7"), { status: 200, body: { sku: "PEN-7", name: "Fountain pen", priceCents: 199 } });
  assert.equal((await get("/items/NOPE-1")).status, 404);
  assert.equal((await get("/items/not a sku")).status, 404);
});

test("anything but GET is refused", async () => {
  assert.equal((await get("/items", { method: "POST", body: "{}" })).status, 405);
});
