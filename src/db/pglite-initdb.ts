/**
 * Child-process entry: creates an embedded database directory (initdb) and
 * exits. Run in its own process because initdb leaves several hundred MB of
 * WebAssembly memory behind that Node never returns to the OS; the server then
 * opens the finished directory at a fraction of that.
 */
import { PGlite } from "@electric-sql/pglite";
import { PGLITE_POSTGRESQL_CONF } from "./pglite-options.js";

const dir = process.argv[2];
if (!dir) {
  process.stderr.write("usage: pglite-initdb DIR\n");
  process.exit(2);
}
const pg = await PGlite.create(dir, { postgresqlconf: [...PGLITE_POSTGRESQL_CONF] });
await pg.query("CHECKPOINT");
await pg.close();
