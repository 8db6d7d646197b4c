// Unit tests of the traffic hooks, from the shipped bundle dist/hooks.js, with stand-in clients
// for Lambda and CodeDeploy.
const test = require("node:test");
const assert = require("node:assert/strict");
const hooks = require("../dist/hooks.js");
const { handler } = require("../dist/index.js");

const event = { DeploymentId: "d-ABC123", LifecycleEventHookExecutionId: "hook-1" };

function clients(invoke) {
  const reports = [];
  return {
    reports,
    invoke,
    report: async (deploymentId, executionId, status) => reports.push({ deploymentId, executionId, status }),
  };
}

test("reports Succeeded when the function prices the sample order", async () => {
  const c = clients((target, payload) => handler(payload));
  assert.equal(await hooks.runHook(event, "orders-staging", c), "Succeeded");
  assert.deepEqual(c.reports, [{ deploymentId: "d-ABC123", executionId: "hook-1", status: "Succeeded" }]);
});

test("reports Failed when the function answers an error or cannot be invoked", async () => {
  for (const invoke of [
    async () => ({ statusCode: 500, body: "{}" }),
    async () => { throw new Error("Unhandled: TypeError"); },
  ]) {
    const c = clients(invoke);
    assert.equal(await hooks.runHook(event, "orders-staging", c), "Failed");
    assert.equal(c.reports.length, 1);
    assert.equal(c.reports[0].status, "Failed");
  }
});

test("preTraffic checks the new code ($LATEST), postTraffic the live alias", () => {
  process.env.FUNCTION_NAME = "orders-production";
  process.env.FUNCTION_ALIAS = "live";
  assert.equal(hooks.targets.preTraffic(), "orders-production");
  assert.equal(hooks.targets.postTraffic(), "orders-production:live");
  assert.equal(typeof hooks.preTraffic, "function");
  assert.equal(typeof hooks.postTraffic, "function");
});
