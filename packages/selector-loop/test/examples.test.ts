import { describe, expect, it } from "vitest";
import { chatServer } from "../src/examples/chat-server.js";
import { echoClient } from "../src/examples/echo-client.js";
import { echoServer } from "../src/examples/echo-server.js";
import { run } from "../src/run.js";
import type { TcpAddress } from "@aioloop/transports";
import { openConnection } from "@aioloop/transports";
import { dec } from "./support/net.js";

describe("examples", () => {
  for (const mode of ["streams", "protocol"] as const) {
    it(`the ${mode} echo server answers the vmbench client at every size`, async () => {
      await run(function* () {
        const server = yield* echoServer({ mode });
        const { host, port } = server.address() as TcpAddress;
        for (const messageSize of [1024, 10 * 1024, 100 * 1024]) {
          const r = yield* echoClient({ host, port, connections: 4, messageSize, requests: 40 });
          expect(r.requests).toBe(40);
          expect(r.messageSize).toBe(messageSize);
          expect(r.requestsPerSecond).toBeGreaterThan(0);
        }
        server.close();
        yield* server.waitClosed();
      });
    });
  }

  it("the chat server relays lines between clients, with /nick, /who and /quit", async () => {
    await run(function* () {
      const chat = yield* chatServer();
      const addr = chat.server.address()!;
      const [ra, wa] = yield* openConnection(addr);
      expect(dec(yield* ra.readline())).toMatch(/^welcome, user\d+!/);
      const [rb, wb] = yield* openConnection(addr);
      expect(dec(yield* rb.readline())).toMatch(/^welcome/);
      expect(dec(yield* ra.readline())).toMatch(/^\* user\d+ joined\n$/);
      wa.write("/nick ann\n");
      expect(dec(yield* ra.readline())).toMatch(/is now ann\n$/);
      expect(dec(yield* rb.readline())).toMatch(/is now ann\n$/);
      wa.write("hello there\n");
      expect(dec(yield* rb.readline())).toBe("ann: hello there\n");
      wb.write("/who\n");
      expect(dec(yield* rb.readline())).toMatch(/^\* here: .*ann/);
      expect(chat.members()).toContain("ann");
      wb.write("/quit\n");
      expect((yield* rb.read()).length).toBe(0);
      expect(dec(yield* ra.readline())).toMatch(/left\n$/);
      wa.close();
      wb.close();
      yield* wa.waitClosed();
      chat.server.close();
      yield* chat.server.waitClosed();
      expect(chat.members()).toEqual([]);
    });
  });
});
