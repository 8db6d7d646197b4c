// The orders logic, free of AWS: checks an order and prices it. Amounts are integer cents, so
// no rounding ever happens.

const MAX_ITEMS = 50;
const MAX_QUANTITY = 100;

// priceOrder returns { total } for a valid order, or { errors } naming every problem at once.
function priceOrder(order) {
  const errors = [];
  if (order === null || typeof order !== "object" || Array.isArray(order)) {
    return { errors: ["the order must be an object with items"] };
  }
  const items = order.items;
  if (!Array.isArray(items) || items.length === 0) {
    errors.push("items: at least one item is required");
  } else if (items.length > MAX_ITEMS) {
    errors.push(`items: at most ${MAX_ITEMS} items per order`);
  } else {
    items.forEach((item, i) => errors.push(...itemErrors(item, `items[${i}]`)));
  }
  if (errors.length > 0) {
    return { errors };
  }
  const total = items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);
  return { total };
}

function itemErrors(item, at) {
  if (item === null || typeof item !== "object") {
    return [`${at}: must be an object`];
  }
  const errors = [];
  if (typeof item.sku !== "string" || !/^[A-Z0-9-]{1,32}$/.test(item.sku)) {
    errors.push(`${at}.sku: 1-32 uppercase letters, digits or hyphens`);
  }
  if (!Number.isInteger(item.quantity) || item.quantity < 1 || item.quantity > MAX_QUANTITY) {
    errors.push(`${at}.quantity: a whole number from 1 to ${MAX_QUANTITY}`);
  }
  if (!Number.isInteger(item.unitPriceCents) || item.unitPriceCents < 0) {
    errors.push(`${at}.unitPriceCents: a whole number of cents, 0 or more`);
  }
  return errors;
}

module.exports = { priceOrder, MAX_ITEMS, MAX_QUANTITY };
