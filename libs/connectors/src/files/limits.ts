/** How much of a file the file-schema inference may read: fixed, whatever the size of the file. */

/** Bytes of the head read for CSV and JSON (compressed bytes for .gz). */
export const HEAD_BUDGET_BYTES = 256 * 1024;

/** Upper bound of the head when the first record does not fit in HEAD_BUDGET_BYTES (and of gzip-inflated text). */
export const MAX_HEAD_BYTES = 1024 * 1024;

/** Records (CSV rows after the header, JSON values) sampled to infer the types. */
export const SAMPLE_RECORDS = 1000;

/** Records parsed with each candidate delimiter when detecting the CSV delimiter. */
export const DELIMITER_PROBE_RECORDS = 100;

/** Columns reported at most (a JSON sample can carry any number of keys); `details.columnsTruncated` says when cut. */
export const MAX_COLUMNS = 10_000;

/** Bytes read from the end of a Parquet file first: the footer of most files fits, so one round trip suffices. */
export const PARQUET_TAIL_PROBE_BYTES = 64 * 1024;

/** Largest Parquet footer (metadata) accepted; larger ones are refused with 422 rather than read. */
export const MAX_PARQUET_FOOTER_BYTES = 16 * 1024 * 1024;
