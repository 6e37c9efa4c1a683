#!/usr/bin/env node
// The runtimes check CI runs after `pnpm test` (the packages must be built): every scenario of
// src/scenarios/ under Node, Bun, Deno and headless Chromium (a page and a Worker, isolated or
// not), the table written to docs/runtimes.md, and a non-zero exit only when a scenario the
// contract promises fails. Usage: node tools/runtimes/run.mjs [--runtimes id,...] [--no-write]
import { main } from "./src/runner/main.mjs";

process.exitCode = await main(process.argv.slice(2));
