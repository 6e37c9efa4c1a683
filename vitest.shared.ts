// Shared vitest settings: every package's tests import sibling packages from their TypeScript
// sources, so `pnpm vitest` needs no build step and stack traces point at src/.
import { fileURLToPath } from "node:url";

const pkg = (name: string) =>
  fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));

export const alias = {
  "@aioloop/core": pkg("core"),
  "@aioloop/timer-loop": pkg("timer-loop"),
  "@aioloop/transports": pkg("transports"),
  "@aioloop/selector-loop": pkg("selector-loop"),
  "@aioloop/epoll-loop": pkg("epoll-loop"),
  "@aioloop/files": pkg("files"),
  "@aioloop/backend-tests": pkg("backend-tests"),
};
