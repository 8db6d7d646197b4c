// The catalog's data and lookups, free of HTTP. A real service would read a database; the
// example keeps its items in memory, read-only.

const items = Object.freeze([
  Object.freeze({ sku: "BOOK-1", name: "The Phoenix Project", priceCents: 1250 }),
  Object.freeze({ sku: "PEN-7", name: "Fountain pen", priceCents: 199 }),
  Object.freeze({ sku: "MUG-3", name: "Mug", priceCents: 899 }),
]);

function list() {
  return items;
}

function find(sku) {
  return items.find((item) => item.sku === sku);
}

module.exports = { list, find };
