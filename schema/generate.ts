/**
 * Writes the JSON Schemas of job files and of the config next to this script, from the zod schemas:
 * `npm run schemas` after changing src/config/schema.ts (a test fails while the files differ).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { jsonSchemaFiles } from '../src/config/json-schema';

for (const [name, text] of Object.entries(jsonSchemaFiles())) {
  writeFileSync(path.join(__dirname, name), text);
  console.log(`wrote schema/${name}`);
}
