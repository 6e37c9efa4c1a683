// Builds the native addon (native/epoll.c) with node-gyp against this Node's headers. Run by the
// package's `install` script and before `build`. Never fails: where the addon cannot be built
// (not Linux, no compiler, no headers) it says so and exits 0, and `new EpollLoop()` then throws
// EpollUnavailableError pointing at SelectorLoop. Skips the build when the addon is newer than
// its source.
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const addon = path.join(root, "build", "Release", "epoll.node");
const source = path.join(root, "native", "epoll.c");

function say(msg) {
  console.log(`@aioloop/epoll-loop: ${msg}`);
}

if (process.platform !== "linux") {
  say(`no native addon on ${process.platform} (epoll is Linux's): use SelectorLoop`);
  process.exit(0);
}
if (existsSync(addon) && statSync(addon).mtimeMs >= statSync(source).mtimeMs) process.exit(0);

/** node-gyp: the one npm names for install scripts, a local install, or npm's own next to Node. */
function findNodeGyp() {
  const named = process.env.npm_config_node_gyp;
  if (named && existsSync(named)) return named;
  try {
    return createRequire(path.join(root, "package.json")).resolve("node-gyp/bin/node-gyp.js");
  } catch {}
  const prefix = path.dirname(path.dirname(process.execPath));
  for (const dir of [
    path.join(prefix, "lib", "node_modules", "npm", "node_modules", "node-gyp"),
    path.join(prefix, "node_modules", "npm", "node_modules", "node-gyp"),
  ]) {
    const bin = path.join(dir, "bin", "node-gyp.js");
    if (existsSync(bin)) return bin;
  }
  return null;
}

const gyp = findNodeGyp();
if (gyp === null) {
  say(
    "node-gyp not found: the native addon is not built (EpollLoop unavailable; use SelectorLoop)",
  );
  process.exit(0);
}
const args = [gyp, "rebuild"];
// Headers installed with Node itself (a distribution's package): no download needed.
const nodeDir = path.dirname(path.dirname(process.execPath));
if (existsSync(path.join(nodeDir, "include", "node", "node_api.h")))
  args.push(`--nodedir=${nodeDir}`);
const r = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" });
if (r.status !== 0 || !existsSync(addon)) {
  say(
    "building the native addon FAILED (output above): EpollLoop is unavailable; use SelectorLoop",
  );
}
process.exit(0);
