// Where the runtimes' executables are. Bun and Deno come from this package's devDependencies:
// their npm packages carry each platform's binary in an optional dependency (@oven/bun-<os>-<cpu>,
// @deno/<os>-<cpu>), which this finds directly, so nothing depends on their postinstall scripts
// (pnpm does not run them). Chromium is Debian's (apt-get install chromium). Each can be
// overridden: AIOLOOP_BUN, AIOLOOP_DENO, AIOLOOP_CHROMIUM.

import { existsSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

/** The platform package and the binary's path inside it, per runtime and platform. */
function platformPackage(runtime, platform = process.platform, arch = process.arch) {
  const cpu = { x64: "x64", arm64: "aarch64" }[arch];
  if (runtime === "bun") {
    if ((platform === "linux" || platform === "darwin") && cpu !== undefined) {
      return { pkg: `@oven/bun-${platform}-${cpu}`, file: "bin/bun" };
    }
  } else if (runtime === "deno") {
    const denoCpu = { x64: "x64", arm64: "arm64" }[arch];
    if (platform === "linux" && denoCpu !== undefined) {
      return { pkg: `@deno/linux-${denoCpu}-glibc`, file: "deno" };
    }
    if (platform === "darwin" && denoCpu !== undefined) {
      return { pkg: `@deno/darwin-${denoCpu}`, file: "deno" };
    }
  }
  return null;
}

/**
 * The path of `runtime`'s executable ("bun" or "deno").
 * @throws Error saying what is missing and how to get it.
 */
export function runtimeBinary(runtime) {
  const override = process.env[`AIOLOOP_${runtime.toUpperCase()}`];
  if (override) return override;
  const plat = platformPackage(runtime);
  if (plat === null) {
    throw new Error(`no ${runtime} binary package for ${process.platform}-${process.arch}`);
  }
  let main;
  try {
    main = realpathSync(require.resolve(`${runtime}/package.json`));
  } catch {
    throw new Error(
      `the ${runtime} package is not installed: run \`npx -y pnpm@10 install\` (it is a devDependency of tools/runtimes)`,
    );
  }
  let platDir;
  try {
    platDir = dirname(createRequire(main).resolve(`${plat.pkg}/package.json`));
  } catch {
    throw new Error(
      `${plat.pkg} (the ${runtime} binary for this platform) is not installed next to ${dirname(main)}`,
    );
  }
  const bin = join(platDir, plat.file);
  if (!existsSync(bin)) throw new Error(`${bin} is missing from ${plat.pkg}`);
  return bin;
}

/** Debian's chromium (the launcher script, which sets its flags and libraries). */
export function chromiumBinary() {
  return process.env.AIOLOOP_CHROMIUM || "/usr/bin/chromium";
}
