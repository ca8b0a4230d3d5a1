/** JSON data files: scalars as numbers, vectors as lists, matrices as row-major lists of rows. */
import type { Shape } from '../language/shape';
import { shapeText } from '../language/shape';

export class DataError extends Error {}

/** Converts a JSON value to column-major float64 of the declared shape, or throws DataError. */
export function fromJson(name: string, value: unknown, shape: Shape): Float64Array {
  const rows = shape.rows.value;
  const cols = shape.cols.value;
  const expected = `${name} is declared ${shapeText(shape)}`;
  const num = (v: unknown, where: string): number => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new DataError(`${where} must be a finite number, got ${JSON.stringify(v)}`);
    return v;
  };
  if (rows === 1 && cols === 1) {
    const v = Array.isArray(value) && value.length === 1 ? value[0] : value;
    return Float64Array.of(num(v, name));
  }
  if (!Array.isArray(value)) throw new DataError(`${expected}: expected a list, got ${typeof value}`);
  const out = new Float64Array(rows * cols);
  if (cols === 1 || rows === 1) {
    const flat = value.every((v) => Array.isArray(v)) ? value.flat() : value;
    if (flat.length !== rows * cols) throw new DataError(`${expected}: expected ${rows * cols} numbers, got ${flat.length}`);
    flat.forEach((v, i) => (out[i] = num(v, `${name}[${i + 1}]`)));
    return out;
  }
  if (value.length !== rows) throw new DataError(`${expected}: expected ${rows} rows, got ${value.length}`);
  value.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== cols) throw new DataError(`${expected}: row ${i + 1} must have ${cols} entries`);
    row.forEach((v, j) => (out[i + j * rows] = num(v, `${name}[${i + 1}, ${j + 1}]`)));
  });
  return out;
}

/** Column-major float64 to JSON: numbers, lists, or row-major lists of rows. */
export function toJson(data: Float64Array, shape: Shape): number | number[] | number[][] {
  const rows = shape.rows.value;
  const cols = shape.cols.value;
  if (rows === 1 && cols === 1) return data[0]!;
  if (cols === 1 || rows === 1) return Array.from(data);
  return Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => data[i + j * rows]!));
}
