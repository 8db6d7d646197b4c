// Integration tests (npm run test:integration): the pipeline runs them after the staging
// deployment, with FUNCTION_ARN naming staging's live alias. They call the deployed function
// through the AWS CLI of the CodeBuild image.
const test = require("node:test");
const assert = require("node:assert/strict");
const { execFileSync } = require("node:child_process");
const { mkdtempSync, readFileSync } = require("node:fs");
const { join } = require("node:path");
const { tmpdir } = require("node:os");

function invoke(payload) {
  const out = join(mkdtempSync(join(tmpdir(), "orders-")), "response.json");
  const meta = JSON.parse(
    execFileSync("aws", ["lambda", "invoke", "--function-name", process.env.FUNCTION_ARN,
      "--cli-binary-format", "raw-in-base64-out", "--payload", JSON.stringify(payload), out], { encoding: "utf8" }),
  );
  assert.equal(meta.FunctionError, undefined, `the function failed: ${readFileSync(out, "utf8")}`);
  return JSON.parse(readFileSync(out, "utf8"));
}

test("staging prices an order", () => {
  const res = invoke({ items: [{ sku: "IT-1", quantity: 3, unitPriceCents: 100 }] });
  assert.equal(res.statusCode, 201);
  assert.equal(JSON.parse(res.body).totalCents, 300);
});

test("staging refuses an empty order", () => {
  assert.equal(invoke({ items: [] }).statusCode, 400);
});
