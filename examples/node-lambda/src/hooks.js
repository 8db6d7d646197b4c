// CodeDeploy's traffic hooks of the orders function (handlers hooks.preTraffic and
// hooks.postTraffic). Each invokes the function with a sample order, expects a 201, and reports
// Succeeded or Failed to CodeDeploy: a failed hook stops the deployment and rolls it back.
//
// preTraffic runs before any traffic moves: it invokes the function unqualified, i.e. $LATEST,
// which CloudFormation has just updated to the new release. postTraffic runs after all traffic
// moved: it invokes the live alias. The stack sets FUNCTION_NAME and FUNCTION_ALIAS.
//
// The AWS SDK is the one the nodejs22.x runtime provides (the build leaves @aws-sdk/* out of the
// bundle); it is loaded only when a hook runs, so the tests can pass their own clients.

const sampleOrder = { items: [{ sku: "HOOK-CHECK", quantity: 2, unitPriceCents: 250 }] };

// check invokes the target through invoke (a function from target and payload to the decoded
// response) and returns CodeDeploy's status.
async function check(invoke, target) {
  try {
    const response = await invoke(target, sampleOrder);
    if (response && response.statusCode === 201 && JSON.parse(response.body).totalCents === 500) {
      return "Succeeded";
    }
    console.error(`${target} answered ${JSON.stringify(response)}`);
  } catch (err) {
    console.error(`invoking ${target} failed: ${err}`);
  }
  return "Failed";
}

// runHook checks the target and reports the status to CodeDeploy through clients
// ({ invoke, report }); it returns the status.
async function runHook(event, target, clients) {
  const status = await check(clients.invoke, target);
  await clients.report(event.DeploymentId, event.LifecycleEventHookExecutionId, status);
  return status;
}

function awsClients() {
  const { LambdaClient, InvokeCommand } = require("@aws-sdk/client-lambda");
  const { CodeDeployClient, PutLifecycleEventHookExecutionStatusCommand } = require("@aws-sdk/client-codedeploy");
  const lambda = new LambdaClient({});
  const codedeploy = new CodeDeployClient({});
  return {
    invoke: async (target, payload) => {
      const out = await lambda.send(new InvokeCommand({ FunctionName: target, Payload: JSON.stringify(payload) }));
      if (out.FunctionError) {
        throw new Error(`${out.FunctionError}: ${Buffer.from(out.Payload).toString()}`);
      }
      return JSON.parse(Buffer.from(out.Payload).toString());
    },
    report: (deploymentId, lifecycleEventHookExecutionId, status) =>
      codedeploy.send(new PutLifecycleEventHookExecutionStatusCommand({ deploymentId, lifecycleEventHookExecutionId, status })),
  };
}

// The function each hook checks.
const targets = {
  preTraffic: () => process.env.FUNCTION_NAME,
  postTraffic: () => `${process.env.FUNCTION_NAME}:${process.env.FUNCTION_ALIAS}`,
};

// Lambda calls a handler with (event, context): the hooks take nothing else.
exports.preTraffic = (event) => runHook(event, targets.preTraffic(), awsClients());
exports.postTraffic = (event) => runHook(event, targets.postTraffic(), awsClients());
exports.runHook = runHook;
exports.targets = targets;
