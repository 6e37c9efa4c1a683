#!/usr/bin/env node
// The seam check CI runs (root `check-seams` task, part of `pnpm test`): no cross-package use of
// `_`-members or @internal names, no run-time import cycles, no undeclared workspace imports.
// The rules and their tests live in tools/seams/.
// Usage: node tools/check-seams.mjs [--root <dir>] [--json] [<package dir>...]
import { main } from "./seams/src/check-seams.mjs";

process.exitCode = main(process.argv.slice(2));
