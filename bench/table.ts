/** The table helpers live with the CLI (src/cli/table.ts); benchmarks print with the same ones. */
export { formatNumber, formatRatio, formatSignedMilliseconds, formatTable, plural } from "../src/cli/table.ts";
