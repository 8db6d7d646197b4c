// The catalog HTTP service: GET /health (the load balancer's health check), GET /items and
// GET /items/<sku>. It listens on PORT (the task definition sets it; default 8080), writes only
// to stdout (the awslogs driver), never to its file system, so it runs with a read-only root
// file system as a non-root user, and stops cleanly on SIGTERM (ECS stops tasks with it).
const http = require("node:http");
const catalog = require("./catalog");

function createServer() {
  return http.createServer((req, res) => {
    const { pathname } = new URL(req.url, "http://localhost");
    if (req.method !== "GET") {
      return send(res, 405, { error: "only GET" });
    }
    if (pathname === "/health") {
      return send(res, 200, { status: "ok" });
    }
    if (pathname === "/items") {
      return send(res, 200, { items: catalog.list() });
    }
    const match = /^\/items\/([A-Z0-9-]{1,32})$/.exec(pathname);
    const item = match && catalog.find(match[1]);
    if (item) {
      return send(res, 200, item);
    }
    return send(res, 404, { error: `no ${pathname}` });
  });
}

function send(res, status, body) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

if (require.main === module) {
  const port = Number(process.env.PORT || 8080);
  const server = createServer();
  server.listen(port, () => console.log(JSON.stringify({ level: "info", message: `listening on ${port}` })));
  process.on("SIGTERM", () => {
    console.log(JSON.stringify({ level: "info", message: "SIGTERM: closing" }));
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  });
}

module.exports = { createServer };
