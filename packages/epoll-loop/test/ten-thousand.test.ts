// 10,000 concurrent loopback connections echo intact through one EpollLoop. The clients run in a
// child process (plain Node sockets): both ends in this process would need 20,000 descriptors,
// this machine's whole RLIMIT_NOFILE, so nothing needs raising.
import { spawn } from "node:child_process";
import { fromPromise } from "@aioloop/core";
import { type Transport, createServer } from "@aioloop/transports";
import { expect, it } from "vitest";
import { epollAvailable } from "../src/native.js";
import { run } from "../src/run.js";
import { HOST, openFds, portOf } from "./support.js";

const N = 10_000;

/** The clients: connect all N (CONNECTING at a time), then each sends its line and checks the echo. */
const CLIENT = `
const net = require("node:net");
const [port, n] = [Number(process.argv[1]), Number(process.argv[2])];
const CONNECTING = 500;
const socks = [];
let connected = 0, started = 0, ok = 0, bad = 0, done = 0;
function finish() {
  if (++done < n) return;
  for (const s of socks) s.destroy();
  console.log(JSON.stringify({ ok, bad }));
}
function sendAll() {
  socks.forEach((s, i) => {
    const line = "client " + i + " " + "x".repeat(i % 97) + "\\n";
    let got = "";
    s.on("data", (d) => {
      got += d;
      if (got.length < line.length) return;
      if (got === line) ok++; else bad++;
      finish();
    });
    s.write(line);
  });
}
function next() {
  while (started < n && started - connected < CONNECTING) {
    started++;
    const s = net.connect({ port, host: "${HOST}" }, () => {
      if (++connected === n) sendAll(); else next();
    });
    s.setEncoding("latin1");
    s.on("error", (e) => { console.error(String(e)); process.exit(2); });
    socks.push(s);
  }
}
next();
setTimeout(() => { console.error("timed out: connected " + connected + ", echoed " + ok); process.exit(3); }, 60000).unref();
`;

it.runIf(epollAvailable())(
  "10,000 concurrent loopback connections echo intact through one EpollLoop",
  async () => {
    const before = openFds();
    const result = await run(function* () {
      let open = 0;
      let peak = 0;
      const server = yield* createServer(
        () => {
          let t: Transport;
          return {
            connectionMade(tr: Transport) {
              t = tr;
              peak = Math.max(peak, ++open);
            },
            dataReceived(d: Uint8Array) {
              t.write(d);
            },
            connectionLost() {
              open--;
            },
          };
        },
        { host: HOST, port: 0 },
      );
      const port = portOf(server);
      const child = spawn(process.execPath, ["-e", CLIENT, String(port), String(N)], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      let err = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (err += d));
      const code = yield* fromPromise(new Promise<number | null>((r) => child.on("exit", r)));
      server.close();
      yield* server.waitClosed();
      return { code, out, err, peak, accepted: server.statistics().accepted };
    });
    expect(result.err).toBe("");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toEqual({ ok: N, bad: 0 });
    expect(result.accepted).toBe(N);
    expect(result.peak).toBe(N); // all of them open at once
    expect(openFds()).toBe(before);
  },
  90_000,
);
