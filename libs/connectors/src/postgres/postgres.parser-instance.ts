import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ParseResult } from 'libpg-query';

/**
 * One WebAssembly instance of libpg_query, made from a module compiled once per process.
 *
 * libpg-query's own wrapper (wasm/index.cjs) calls its Emscripten factory once, with no options,
 * so a fresh instance meant loading the package again: reading the 1.7 MB binary synchronously
 * and instantiating it from its bytes (measured: 15 to 20 ms, 9 to 13 of them blocking the event
 * loop). The factory accepts `instantiateWasm`, so instances are made here from the module
 * compiled once (4 to 7 ms, about 1 MiB of memory written each), and parse calls the
 * exported C functions the way index.cjs does.
 */

/** The exports of libpg-query's Emscripten build (node_modules/libpg-query/wasm/libpg-query.js) used here. */
interface PgQueryModule {
  _malloc(size: number): number;
  _free(pointer: number): void;
  _wasm_parse_query_raw(query: number): number;
  _wasm_free_parse_result(result: number): void;
  _wasm_free_string(result: number): void;
  getValue(pointer: number, type: 'i32'): number;
  lengthBytesUTF8(text: string): number;
  stringToUTF8(text: string, pointer: number, size: number): void;
  UTF8ToString(pointer: number): string;
}

type Instantiate = (imports: object, done: (instance: object) => void) => object;
type PgQueryFactory = (options: { instantiateWasm: Instantiate }) => Promise<PgQueryModule>;

/** The part of the WebAssembly API used here (the project's `lib` setting does not declare it). */
interface WebAssemblyApi {
  compile(bytes: Uint8Array): Promise<object>;
  instantiate(module: object, imports: object): Promise<object>;
}

const { WebAssembly: wasm } = globalThis as unknown as { WebAssembly: WebAssemblyApi };
const requirePackage = createRequire(__filename);
const packageDir = path.dirname(requirePackage.resolve('libpg-query'));
const factory = requirePackage(path.join(packageDir, 'libpg-query.js')) as PgQueryFactory;

let compiled: Promise<object> | undefined;

/** libpg-query.wasm compiled (off the event loop), once; a failed compilation is tried again. */
function compiledModule(): Promise<object> {
  if (!compiled) {
    const compiling = readFile(path.join(packageDir, 'libpg-query.wasm')).then((bytes) => wasm.compile(bytes));
    compiled = compiling;
    compiling.catch(() => {
      if (compiled === compiling) compiled = undefined;
    });
  }
  return compiled;
}

/** A syntax error, as the server would report it: its message and the 0-based character it points at. */
export class StatementSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

export class ParserInstance {
  private constructor(private readonly module: PgQueryModule) {}

  /** A new instance, with memory of its own. */
  static async create(): Promise<ParserInstance> {
    const module = await compiledModule();
    // Emscripten waits for `done` with no way to fail: a failed instantiation (out of memory) rejects `failure`.
    let fail: (error: unknown) => void = () => undefined;
    const failure = new Promise<never>((_, reject) => (fail = reject));
    const instantiateWasm: Instantiate = (imports, done) => {
      wasm.instantiate(module, imports).then(done, fail);
      return {};
    };
    return new ParserInstance(await Promise.race([factory({ instantiateWasm }), failure]));
  }

  /** The raw parse tree of `sql`; StatementSyntaxError where the server would report one. */
  parse(sql: string): ParseResult {
    return this.withString(sql, (query) => {
      const result = this.module._wasm_parse_query_raw(query);
      if (!result) throw new Error('libpg_query could not allocate its result.');
      try {
        // struct PgQueryParseResult { char *parse_tree; char *stderr_buffer; PgQueryError *error; }
        const error = this.module.getValue(result + 8, 'i32');
        if (error) {
          // struct PgQueryError { char *message; char *funcname; char *filename; int lineno; int cursorpos; }
          const message = this.module.UTF8ToString(this.module.getValue(error, 'i32'));
          const cursor = this.module.getValue(error + 16, 'i32');
          throw new StatementSyntaxError(message, Math.max(cursor - 1, 0));
        }
        const tree = this.module.getValue(result, 'i32');
        if (!tree) throw new Error('libpg_query returned no parse tree.');
        return JSON.parse(this.module.UTF8ToString(tree)) as ParseResult;
      } finally {
        this.module._wasm_free_parse_result(result);
      }
    });
  }

  /** Runs `work` on `text` copied into the instance's memory as a C string. */
  private withString<T>(text: string, work: (pointer: number) => T): T {
    const size = this.module.lengthBytesUTF8(text) + 1;
    const pointer = this.module._malloc(size);
    if (!pointer) throw new Error('libpg_query could not allocate the statement.');
    try {
      this.module.stringToUTF8(text, pointer, size);
      return work(pointer);
    } finally {
      this.module._free(pointer);
    }
  }
}
