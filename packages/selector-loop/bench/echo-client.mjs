// The load generator of bench/echo.ts, in its own process (plain Node, so the client costs
// the same whatever server it drives): `node echo-client.mjs <port> <size> <conns> <warm> <n>`.
// Each connection keeps one message in flight (vmbench's echo client). Phases, over IPC:
//   warm up <warm> requests, let in-flight ones finish, send "warm" and wait (the server is
//   idle: the driver reads its CPU time), on "go" run exactly <n> requests, let them finish,
//   send {done, requests, ms}.
import net from "node:net";

const [port, size, conns, warm, n] = process.argv.slice(2).map(Number);
const message = Buffer.alloc(size, 0x61);
let target = warm;
let issued = 0;
let completed = 0;
let phaseStart = 0;
let onIdle = null;
const socks = [];

function pump(s) {
  if (issued >= target) {
    if (completed === issued && onIdle) {
      const f = onIdle;
      onIdle = null;
      f();
    }
    return;
  }
  issued++;
  s.write(message);
}

function idle() {
  return new Promise((resolve) => {
    if (completed === issued) resolve();
    else onIdle = resolve;
  });
}

await Promise.all(
  Array.from({ length: conns }, () => {
    return new Promise((resolve) => {
      const s = net.connect({ port, host: "127.0.0.1", noDelay: true }, () => resolve());
      let got = 0;
      s.on("data", (d) => {
        got += d.length;
        while (got >= size) {
          got -= size;
          completed++;
          pump(s);
        }
      });
      s.on("error", (e) => {
        console.error("client socket error", e);
        process.exit(1);
      });
      socks.push(s);
    });
  }),
);

for (const s of socks) pump(s);
await idle();
process.send("warm");
await new Promise((resolve) => process.once("message", resolve));
const first = issued;
target = issued + n;
phaseStart = performance.now();
for (const s of socks) pump(s);
await idle();
const ms = performance.now() - phaseStart;
process.send({ done: true, requests: completed - first, ms });
for (const s of socks) s.destroy();
process.disconnect();
