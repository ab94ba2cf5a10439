// Reads a JSON array of MRZs (each an array of lines) on standard input,
// parses each with the npm package mrz, and prints a JSON array of readings
// for TestCrossCheckNPM. Installed next to node_modules by the test.
import { readFileSync } from 'node:fs';
import { parse } from 'mrz';

const cases = JSON.parse(readFileSync(0, 'utf8'));
const out = cases.map((lines) => {
  try {
    const r = parse(lines);
    return {
      format: r.format,
      valid: r.valid,
      fields: r.fields,
      failed: r.details.filter((d) => !d.valid).map((d) => d.field),
    };
  } catch (e) {
    return { error: String(e && e.message) };
  }
});
process.stdout.write(JSON.stringify(out));
