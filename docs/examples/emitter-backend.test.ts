// The conformance kit on the guide's backend (docs/write-a-backend.md, "Run the kit"). In your
// own project this file sits next to your loop; here packages/backend-tests runs it.
import { defineBackendTests } from "@aioloop/backend-tests";
import { EmitterLoop } from "./emitter-backend.js";

defineBackendTests({
  name: "EmitterLoop",
  make: () => new EmitterLoop(),
  blocking: false, // canBlock is false: no runSync
  virtualTime: false, // a real clock
});
