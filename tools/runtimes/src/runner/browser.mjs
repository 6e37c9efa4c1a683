// Batches of scenarios in headless Chromium, on a page's main thread or in a Worker, on a page
// that is cross-origin isolated or not. The page is built from the packages: esbuild bundles
// src/browser/page.mjs and worker.mjs (which import the portable scenarios, which import the
// built @aioloop packages) for the browser; a tiny HTTP server on 127.0.0.1 serves them under
// /isolated/ (with the COOP/COEP headers that give SharedArrayBuffer) and /plain/ (without);
// playwright-core drives Debian's chromium and reads the events from the console.

import { createServer } from "node:http";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { chromiumBinary } from "./binaries.mjs";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

const INDEX = `<!doctype html>
<meta charset="utf-8">
<title>aioloop runtimes</title>
<script src="page.js"></script>
`;

/** page.js and worker.js: the two programs, bundled for the browser (classic scripts). */
export async function bundle() {
  const { build } = await import("esbuild");
  const out = await build({
    entryPoints: [here("../browser/page.mjs"), here("../browser/worker.mjs")],
    bundle: true,
    write: false,
    outdir: "/bundle",
    format: "iife",
    platform: "browser",
    target: "es2022",
    logLevel: "silent",
  });
  return Object.fromEntries(out.outputFiles.map((f) => [basename(f.path), f.text]));
}

/** Serve `files` (name -> text) and index.html under /isolated/ and /plain/; resolves the base URL. */
export function serve(files) {
  const server = createServer((req, res) => {
    const [, mode, name] = new URL(req.url ?? "/", "http://127.0.0.1").pathname.split("/");
    const body = name === "index.html" ? INDEX : files[name];
    if ((mode !== "isolated" && mode !== "plain") || body === undefined) {
      res.writeHead(404).end();
      return;
    }
    const headers = {
      "content-type": name.endsWith(".html") ? "text/html" : "text/javascript",
      "cache-control": "no-store",
    };
    if (mode === "isolated") {
      headers["cross-origin-opener-policy"] = "same-origin";
      headers["cross-origin-embedder-policy"] = "require-corp";
    }
    res.writeHead(200, headers).end(body);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      resolve({ base: `http://127.0.0.1:${server.address().port}`, close: () => server.close() });
    });
  });
}

/**
 * A browser session: bundles, serves and launches Chromium on first use. `runBatch(runtime,
 * ids)` resolves `{ lines, ended }` (see collect.mjs); `version()` is Chromium's; `close()`
 * ends it all.
 */
export function browserSession({ silenceMs }) {
  let started = null;
  const start = async () => {
    const files = await bundle();
    const server = await serve(files);
    const { chromium } = await import("playwright-core");
    try {
      const browser = await chromium.launch({
        executablePath: chromiumBinary(),
        // Root (CI) needs --no-sandbox; /dev/shm may be small in containers.
        args: ["--no-sandbox", "--disable-dev-shm-usage"],
        timeout: 60_000,
      });
      return { server, browser };
    } catch (e) {
      server.close();
      throw new Error(
        `could not launch ${chromiumBinary()} (apt-get install -y chromium): ${String(e?.message ?? e).split("\n")[0]}`,
      );
    }
  };

  async function runBatch(runtime, ids) {
    started ??= start();
    const { server, browser } = await started;
    const where = runtime.id.includes("worker") ? "worker" : "page";
    const url = `${server.base}/${runtime.isolated ? "isolated" : "plain"}/index.html?where=${where}&only=${ids.join(",")}`;
    const context = await browser.newContext();
    const page = await context.newPage();
    const lines = [];
    let ended = null;
    await new Promise((resolve) => {
      let timer = null;
      const stop = (why) => {
        if (why !== null && ended === null) ended = why;
        clearTimeout(timer);
        resolve();
      };
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => stop(`no output for ${silenceMs / 1000} s (a hang?)`), silenceMs);
      };
      arm();
      page.on("console", (m) => {
        const text = m.text();
        lines.push(text);
        arm();
        if (/"event":"(done|stopped)"/.test(text)) stop(null);
        else if (text.startsWith("worker error:")) stop(text);
      });
      page.on("pageerror", (e) => stop(`uncaught on the page: ${e.message}`));
      page.on("crash", () => stop("the page crashed"));
      page.goto(url).catch((e) => stop(`could not load the page: ${e.message}`));
    });
    // A page stuck in a blocked thread may not close politely: give it a few seconds.
    await Promise.race([context.close(), new Promise((r) => setTimeout(r, 5000))]);
    return { lines, ended };
  }

  /** Chromium's full version (the user agent reports a reduced one), or null before it started. */
  async function version() {
    if (started === null) return null;
    try {
      return (await started).browser.version();
    } catch {
      return null;
    }
  }

  async function close() {
    if (started === null) return;
    try {
      const { server, browser } = await started;
      await browser.close();
      server.close();
    } catch {
      // it never started: nothing to close
    }
  }

  return { runBatch, version, close };
}
