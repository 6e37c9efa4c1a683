import { describe, expectTypeOf, it } from "vitest";
import { type AsyncFile, open, tempfile } from "../src/index.js";

// Never run: the coroutines below exist for their types (checked by tsc -p tsconfig.test.json
// and by vitest's expectTypeOf at compile time).
function* typesOfOpen() {
  const text = yield* open("/tmp/x.txt");
  expectTypeOf(text.name).toEqualTypeOf<string>();
  expectTypeOf(text).toEqualTypeOf<AsyncFile<string, string>>();
  const bytes = yield* open(new URL("file:///tmp/x.bin"), "rb");
  expectTypeOf(bytes.name).toEqualTypeOf<string>();
  expectTypeOf(bytes).toEqualTypeOf<AsyncFile<Uint8Array, string>>();
  const mode: string = "r";
  const either = yield* open("/tmp/x", mode);
  expectTypeOf(either.name).toEqualTypeOf<string>();
  // A path-opened file is still an AsyncFile<string> (name: string | number) where one is asked.
  expectTypeOf(text).toMatchTypeOf<AsyncFile<string>>();
  const named = yield* tempfile.NamedTemporaryFile("w+");
  expectTypeOf(named.name).toEqualTypeOf<string>();
  // The anonymous temporary file's name is its descriptor, as in Python.
  const anon = yield* tempfile.TemporaryFile();
  expectTypeOf(anon.name).toEqualTypeOf<number>();
  expectTypeOf(anon).toEqualTypeOf<AsyncFile<Uint8Array, number>>();
  // The class's own default keeps both.
  expectTypeOf<AsyncFile["name"]>().toEqualTypeOf<string | number>();
}

describe("types", () => {
  it("open() and NamedTemporaryFile() type name as string, TemporaryFile() as number", () => {
    expectTypeOf(typesOfOpen).toBeFunction();
  });
});
