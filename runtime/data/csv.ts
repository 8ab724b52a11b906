/**
 * Multivariate time series from CSV (ETT, weather, exchange_rate, ILI and the like).
 *
 * Expected layout: a header line with column names, then one row per time step. One column may hold
 * timestamps (usually the first, e.g. `date` with `2016-07-01 00:00:00`); every other column is a numeric
 * channel. The file may be gzipped (detected from its bytes), use CRLF or LF, start with a UTF-8 BOM and
 * lack a final newline. Parsing is done by papaparse; this file adds the checks and the messages.
 *
 * Row numbers in errors are **file line numbers** (header = row 1, first data row = row 2), i.e. what a
 * text editor or a spreadsheet shows.
 *
 * Environment-neutral: bytes or text in, typed arrays out (also runs in a Web Worker).
 */
import Papa from 'papaparse';
import { baseName, decodeText, gunzipIfNeeded } from './bytes';
import { parseSplitSpec, standardBorders, standardise, type SplitSpec } from './series';
import { DataError, type SeriesSet } from './types';

// The window helpers live in series.ts (shared with the demo series); re-exported for one import site.
export {
  fractionBorders,
  parseSplitSpec,
  seriesWindows,
  standardBorders,
  windowBatch,
  type SplitName,
  type SplitSpec,
} from './series';

export interface SeriesCsvOptions {
  /** Column to forecast in univariate / MS runs (e.g. `OT`). Must exist; all channels are kept. */
  target?: string;
  /** Override the default borders (the standard ETT borders for ETTh / ETTm files, else 70/10/20). See `SplitSpec`. */
  split?: SplitSpec;
  /** Where the data came from, for run records. Default: the file name. */
  source?: string;
}

/** A plain decimal number: `12`, `-0.5`, `.5`, `1e-3`. No hex, no `Infinity`, no thousands separators. */
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** Common spellings of "no value here". */
const MISSING = /^(nan|na|n\/a|null|none|-|\?)$/i;
/** Header names that announce a timestamp column. */
const DATE_NAME = /^(date|time|timestamp|datetime|date_time|ds)$/i;
/** Values that look like a date or a time (2016-07-01, 1990/1/1 0:00, 01.02.2020, 13:45). */
const DATE_VALUE = /^(\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{1,2}:\d{2})/;

/** The delimiter used by the header line: the most frequent of , ; tab | (comma when none appears). */
function guessDelimiter(text: string): string {
  const end = text.search(/[\r\n]/);
  const header = end < 0 ? text : text.slice(0, end);
  let best = ',';
  let bestCount = 0;
  for (const d of [',', ';', '\t', '|']) {
    const count = header.split(d).length - 1;
    if (count > bestCount) {
      best = d;
      bestCount = count;
    }
  }
  return best;
}

/** Shows a cell in a message: quoted, with control characters visible and long values cut. */
function show(value: string): string {
  const cut = value.length > 40 ? value.slice(0, 40) + '…' : value;
  return JSON.stringify(cut);
}

interface RawRow {
  cells: string[];
  /** 1-based line in the file where the row starts. */
  line: number;
}

/** Splits text into rows with papaparse, remembering the file line of each row and skipping blank lines. */
function readRows(text: string, name: string): RawRow[] {
  const delimiter = guessDelimiter(text);
  // Line numbers: count line breaks before each row's first character (papaparse reports `cursor`, the
  // character offset after each row). A file with only `\r` line endings counts `\r` instead.
  const br = text.includes('\n') ? 10 : 13;
  const rows: RawRow[] = [];
  let line = 1;
  let pos = 0;
  let failure: DataError | undefined;
  Papa.parse<string[]>(text, {
    delimiter,
    header: false,
    dynamicTyping: false,
    skipEmptyLines: false,
    step(result, parser) {
      if (failure) return;
      const quoteError = result.errors.find((e) => e.type === 'Quotes');
      if (quoteError) {
        const what =
          quoteError.code === 'MissingQuotes'
            ? 'a value opens a double quote (") that is never closed, so the rest of the file would be read ' +
              'as one value. Remove the stray quote or close it.'
            : 'a quoted value has text right after its closing quote (like "1"2). Quote the whole value or ' +
              'remove the quotes.';
        failure = new DataError(`malformed quotes: ${what}`, name, `row ${line}`);
        parser.abort();
        return;
      }
      const cells = result.data;
      const isBlank = cells.length === 1 && cells[0].trim() === '';
      if (!isBlank) rows.push({ cells, line });
      const cursor = result.meta.cursor;
      for (; pos < cursor && pos < text.length; pos++) if (text.charCodeAt(pos) === br) line++;
    },
  });
  if (failure) throw failure;
  return rows;
}

/**
 * Index of the timestamp column, or -1. The first column that matches wins:
 * - its header is date / time / timestamp / datetime / date_time / ds (any case), or
 * - it is the first column and its first value is text (not a number, not a missing-value marker), or
 * - its first value looks like a date or a time (2016-07-01, 1990/1/1 0:00, 13:45).
 * Every other column must be numeric.
 */
function findDateColumn(header: string[], first: string[]): number {
  for (let j = 0; j < header.length; j++) {
    const v = (first[j] ?? '').trim();
    const numeric = NUMBER.test(v);
    if (DATE_NAME.test(header[j])) return j;
    // A non-numeric first column holds labels/timestamps; elsewhere it must look like a date.
    if (v !== '' && !numeric && !MISSING.test(v) && (j === 0 || DATE_VALUE.test(v))) return j;
  }
  return -1;
}

/**
 * Parses a CSV series and returns it standardised with its train statistics, with chronological borders.
 * Errors are DataErrors naming the file, the row (file line) and the column, and what was expected.
 */
export function parseSeriesCsv(
  input: Uint8Array | string,
  name: string,
  opts: SeriesCsvOptions = {},
): SeriesSet {
  let text: string;
  if (typeof input === 'string') {
    text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  } else {
    text = decodeText(gunzipIfNeeded(input, name).bytes);
  }
  const rows = readRows(text, name);
  if (rows.length === 0) {
    throw new DataError('the file is empty; expected a header line and at least 2 data rows.', name);
  }

  // Header: names as given, trimmed (weather.csv has names like "SWDR (W/m�)"; they are kept).
  const headerRow = rows[0];
  const header = headerRow.cells.map((h) => h.trim());
  const width = header.length;
  const seen = new Map<string, number>();
  header.forEach((h, j) => {
    if (h === '') {
      throw new DataError(
        `column ${j + 1} has no name; every column needs a name in the header line.`,
        name,
        `row ${headerRow.line}, column ${j + 1}`,
      );
    }
    const before = seen.get(h);
    if (before !== undefined) {
      throw new DataError(
        `column name "${h}" appears twice (columns ${before + 1} and ${j + 1}); names must be unique.`,
        name,
        `row ${headerRow.line}, column ${j + 1}`,
      );
    }
    seen.set(h, j);
  });

  const data = rows.slice(1);
  if (data.length < 2) {
    throw new DataError(
      `the file has ${data.length === 0 ? 'no data rows' : 'a single data row'} after the header; ` +
        'a series needs at least 2 rows (in practice hundreds, to fill train, val and test).',
      name,
      data.length ? `row ${data[0].line}` : `row ${headerRow.line}`,
    );
  }
  for (const r of data) {
    if (r.cells.length !== width) {
      throw new DataError(
        `this row has ${r.cells.length} value(s) but the header has ${width} columns ` +
          `(${header.join(', ')}). Check for a missing or extra delimiter "${guessDelimiter(text)}".`,
        name,
        `row ${r.line}`,
      );
    }
  }

  const dateCol = findDateColumn(header, data[0].cells);
  const channelCols = header.map((_, j) => j).filter((j) => j !== dateCol);
  if (channelCols.length === 0) {
    throw new DataError(`no numeric columns: the only column is "${header[dateCol]}" (timestamps).`, name);
  }
  const columns = channelCols.map((j) => header[j]);
  const channels = columns.length;
  const n = data.length;

  // Cells → numbers; every cell of a channel column must be a finite decimal number.
  const raw = new Float64Array(n * channels);
  for (let r = 0; r < n; r++) {
    const row = data[r];
    for (let c = 0; c < channels; c++) {
      const j = channelCols[c];
      const cell = row.cells[j].trim();
      const v = NUMBER.test(cell) ? Number(cell) : NaN;
      if (!Number.isFinite(v)) {
        const why =
          cell === ''
            ? 'the value is missing'
            : MISSING.test(cell)
              ? `${show(cell)} marks a missing value`
              : NUMBER.test(cell)
                ? `${show(cell)} is too large for a number`
                : `${show(cell)} is not a number`;
        throw new DataError(
          `${why}; every cell of column "${header[j]}" must be a number` +
            (dateCol < 0 ? '' : ` (only "${header[dateCol]}" may hold text)`) +
            '. Fill or drop missing values before loading.',
          name,
          `row ${row.line}, column "${header[j]}"`,
        );
      }
      raw[r * channels + c] = v;
    }
  }

  if (opts.target !== undefined && !columns.includes(opts.target.trim())) {
    throw new DataError(
      `target column "${opts.target}" not found; the numeric columns are: ${columns.join(', ')}.`,
      name,
    );
  }

  const borders = opts.split !== undefined ? parseSplitSpec(opts.split, n, name) : standardBorders(name, n);
  const { values, mean, std } = standardise(raw, n, channels, borders.train);
  const set: SeriesSet = {
    kind: 'series',
    values,
    rows: n,
    channels,
    columns,
    mean,
    std,
    borders,
    source: opts.source ?? baseName(name),
  };
  if (dateCol >= 0) set.dates = data.map((r) => r.cells[dateCol].trim());
  if (opts.target !== undefined) set.target = opts.target.trim();
  return set;
}
