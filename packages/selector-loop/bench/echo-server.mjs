// One echo server for bench/echo.ts, in its own process: `node echo-server.mjs <mode>`.
//   node      a plain Node `net` echo server ('data' -> write), the baseline
//   protocol  aioloop's protocol-style echo (dist/examples)
//   streams   aioloop's streams-style echo (dist/examples)
// IPC: sends {port} once listening; answers "cpu" with {cpu} (process.cpuUsage user+system,
// in microseconds, all threads); exits on "exit".
import net from "node:net";

const mode = process.argv[2];

function startPlain() {
  return new Promise((resolve) => {
    // noDelay as aioloop's transports (and asyncio's) set it, so both servers put the same
    // segments on the wire and only the event loop differs.
    const server = net.createServer({ noDelay: true }, (sock) => {
      sock.on("data", (d) => sock.write(d));
      sock.on("error", () => {});
    });
    server.listen(0, "127.0.0.1", () => resolve(server.address().port));
  });
}

async function startAioloop() {
  const { run } = await import("../dist/index.js");
  const { echoServer } = await import("../dist/examples/index.js");
  return new Promise((resolve, reject) => {
    run(function* () {
      const server = yield* echoServer({ mode, port: 0 });
      resolve(server.address().port);
      yield* server.serveForever();
    }).catch(reject);
  });
}

process.on("message", (m) => {
  if (m === "cpu") {
    const u = process.cpuUsage();
    process.send({ cpu: u.user + u.system, user: u.user, system: u.system });
  } else if (m === "exit") process.exit(0);
});

const port = mode === "node" ? await startPlain() : await startAioloop();
process.send({ port });
